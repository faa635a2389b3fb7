"""torch.bitwise_and / or / xor / not / left_shift / right_shift, their
tensor methods (x.bitwise_and(y), in place x.bitwise_and_(y)) and the
operator methods (x.__lshift__(k), x.__rlshift__(k), x.__ilshift__(k), ...).

Each is its operator (& | ^ ~ << >>, or the augmented one in place), so the
checks, the type promotion and the errors are the operators' own.
"""
from __future__ import annotations

from .errors import GradvizError
from .functions import (_as_operand, _need_tensor, _operator_method, invalid_combination,
                        is_tensor, type_word)
from .ops import OPS

# torch's name -> the operator
BINARY = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^",
          "bitwise_left_shift": "<<", "bitwise_right_shift": ">>"}
# the operator methods Python calls for them
DUNDERS = {"&": "and", "|": "or", "^": "xor", "<<": "lshift", ">>": "rshift"}


def _function(name: str, sym: str):
    def f(rt, input, other):
        # (two tensors, or a tensor and a Python number)
        if not (is_tensor(input) or is_tensor(other)) or not all(
                is_tensor(v) or isinstance(v, (int, float)) for v in (input, other)):
            raise invalid_combination(name, [input, other],
                                      hint=f"give a tensor and a tensor or a number: "
                                           f"torch.{name}(x, 1); on two Python ints write the "
                                           f"operator: a {sym} b")
        return rt.binary(sym, input, other)
    f.__name__ = name
    return f


def f_bitwise_not(rt, input):
    """torch.bitwise_not(x), x.bitwise_not(): ~x, but a float x is the
    kernel's error (~x's own is a TypeError, m_invert)."""
    x = _need_tensor(input, "bitwise_not")
    if x.data.dtype.kind == "f":
        raise GradvizError(f'"bitwise_not_cpu" not implemented for \'{type_word(x.data.dtype)}\'',
                           kind="NotImplementedError",
                           hint="bitwise_not works on bool (masks) and integer tensors: "
                                "a mask's opposite is x <= 0")
    return m_invert(rt, x)


def m_invert(rt, x):
    """x.__invert__(): ~x."""
    return rt.apply(OPS["bitwise_not"], (x,))


def m_bitwise_not_(rt, x):
    return rt.change_in_place(x, lambda: f_bitwise_not(rt, x), "bitwise_not_")


def _reflected(name: str, sym: str):
    """x.__rlshift__(k): k << x."""
    def m(rt, x, other):
        _as_operand(rt, other, (name, "other", 1))
        return rt.binary(sym, other, x)
    m.__name__ = name
    return m


FUNCTIONS = {name: _function(name, sym) for name, sym in BINARY.items()}
FUNCTIONS["bitwise_not"] = f_bitwise_not

METHODS = {"bitwise_not": f_bitwise_not, "bitwise_not_": m_bitwise_not_,
           "__invert__": m_invert}
for _name, _sym in BINARY.items():
    _dunder = DUNDERS[_sym]
    METHODS[_name] = _operator_method(_name, _sym)
    METHODS[_name + "_"] = _operator_method(_name + "_", _sym, in_place=True)
    METHODS[f"__{_dunder}__"] = _operator_method(f"__{_dunder}__", _sym)
    METHODS[f"__r{_dunder}__"] = _reflected(f"__r{_dunder}__", _sym)
    METHODS[f"__i{_dunder}__"] = _operator_method(f"__i{_dunder}__", _sym, in_place=True)
