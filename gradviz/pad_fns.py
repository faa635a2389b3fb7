"""torch.constant_pad_nd(input, pad, value=0): F.pad's constant mode as
torch's own function (ConstantPadNdBackward0), with its argument errors and
its own words for a pad of the wrong length."""
from __future__ import annotations

from . import functions as F
from .conv import constant_pad
from .errors import GradvizError, RUNTIME, TYPE

_HINT = "pad is a list of whole numbers, two per dim from the last: (left, right, ...)"


def _pad_list(pad) -> list:
    if not isinstance(pad, (list, tuple)):
        raise GradvizError(f"constant_pad_nd(): argument 'pad' (position 2) must be tuple of "
                           f"ints, not {F.arg_type_name(pad)}", kind=TYPE, hint=_HINT)
    return list(F.int_list("constant_pad_nd", "pad", (pad,), 2))


def f_constant_pad_nd(rt, input, pad, value=0):
    x = F._need_tensor(input, "constant_pad_nd", 1, "input")
    amounts = _pad_list(pad)
    if not isinstance(value, (int, float)):          # (a bool is a Number too)
        raise GradvizError(f"constant_pad_nd(): argument 'value' (position 3) must be Number, "
                           f"not {F.arg_type_name(value)}", kind=TYPE,
                           hint="value is the number the padding holds")
    if len(amounts) % 2:
        raise GradvizError(f"Length of pad must be even but instead it equals {len(amounts)}",
                           kind=RUNTIME, hint="two amounts per dim: (before, after)")
    if len(amounts) > 2 * x.data.ndim:
        # (PyTorch's message, its missing spaces included)
        raise GradvizError(f"Length of pad should be no more than twice the number of dimensions "
                           f"of the input. Pad length is {len(amounts)}while the input has "
                           f"{x.data.ndim}dimensions.", kind=RUNTIME,
                           hint="two amounts per dim, from the last")
    return constant_pad(rt, x, amounts, value)


FUNCTIONS = {"constant_pad_nd": f_constant_pad_nd}
