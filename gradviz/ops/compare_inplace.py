"""x.gt_(y), x.eq_(y), ...: a comparison written into x in place. The
result keeps x's dtype (1. and 0. in a float tensor), and on a tensor of the
graph PyTorch records it as GtBackward0 (EqBackward0, ...), whose gradient is
zero for both operands."""
from __future__ import annotations

import numpy as np

from .binary_more import _is_tensor, _zero_tangent, _zeros
from .registry import SAME, bcast_check, defop


def _grad_fn(stem: str):
    """GtBackward1 against a tensor, GtBackward0 against a number (PyTorch's
    two overloads)."""
    return lambda t: stem + ("Backward1" if _is_tensor(t.args[1]) else "Backward0")


for _name, _fn in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                   ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)):
    defop(_name + "_", _grad_fn(_name.capitalize()),
          (lambda f: lambda xs, p: f(xs[0], xs[1]).astype(xs[0].dtype))(_fn),
          vjp=(_zeros, _zeros), jvp=(_zero_tangent, _zero_tangent),
          formula=("d (a cmp b)/da = 0", "d (a cmp b)/db = 0"), symbol=_name + "_",
          saves=False, dtype_rule=SAME, check=bcast_check)
