"""<< and >> on integer tensors (torch.bitwise_left_shift, bitwise_right_shift).

No gradient (integers only). PyTorch's CPU kernels define what C leaves
undefined: a shift by a negative count or by the type's width or more gives
0 to the left, and the sign (0 or -1) to the right, which numpy's shifts do
not promise, so the forward picks those out first.
"""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError
from .registry import bcast_check, defop

_TYPE_WORDS = {"float32": "Float", "float64": "Double", "bool": "Bool"}


def _shift(a, b, left: bool) -> np.ndarray:
    a, b = np.asarray(a), np.asarray(b)
    dt = np.result_type(a, b)
    a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
    bits = 8 * dt.itemsize
    outside = (b < 0) | (b >= bits)
    count = np.where(outside, np.zeros((), dt), b)
    if left:
        return np.where(outside, np.zeros((), dt), np.left_shift(a, count)).astype(dt)
    # (an unsigned value shifted out is 0; a signed one keeps its sign)
    fill = np.right_shift(a, bits - 1) if dt.kind == "i" else np.zeros((), dt)
    return np.where(outside, fill, np.right_shift(a, count)).astype(dt)


def _shift_check(kernel: str):
    def check(xs, p):
        """PyTorch's error for a float operand (a float number makes the
        result float too), or two bools (no shift on bool), after its error
        for sizes that do not broadcast."""
        size = bcast_check(xs, p)
        for x in xs:
            if isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
                word = _TYPE_WORDS.get(getattr(x, "dtype", np.dtype(np.float32)).name, "Float")
                raise GradvizError(f'"{kernel}_cpu" not implemented for \'{word}\'',
                                   kind="NotImplementedError",
                                   hint="<< and >> shift integer tensors; for a float, "
                                        "multiply by a power of two: x * 2 ** k")
        if all(isinstance(x, bool) or getattr(x, "dtype", None) == np.bool_ for x in xs):
            raise GradvizError(f'"{kernel}_cpu" not implemented for \'Bool\'',
                               kind="NotImplementedError",
                               hint="shift an integer: mask.long() << 1")
        return size
    return check


for _name, _sym, _kernel, _left in (("bitwise_left_shift", "<<", "lshift", True),
                                    ("bitwise_right_shift", ">>", "rshift", False)):
    defop(_name, None, (lambda left: lambda xs, p: _shift(xs[0], xs[1], left))(_left),
          vjp=(None, None), jvp=(None, None), formula=("", ""), symbol=_sym, saves=False,
          differentiable=False, check=_shift_check(_kernel), common_dtype=True)
