"""torch.Tensor.NAME: a tensor method not bound to a tensor, called with the
tensor first (torch.Tensor.mul(x, 2); f = torch.Tensor.sum; f(x);
map(torch.Tensor.exp, xs)), as Python's unbound methods are.

Most of PyTorch's tensor methods are C method descriptors of TensorBase:
their errors for a missing or wrong first argument are Python's
descriptor's. A few are Python functions of torch.Tensor (PYTHON_LEVEL):
they print and type as functions.
"""
from __future__ import annotations

from .errors import TYPE, GradvizError

# the tensor methods that torch.Tensor defines in Python (the others are TensorBase's, in C)
PYTHON_LEVEL = frozenset(("__rlshift__", "__rrshift__", "backward", "norm", "register_hook",
                          "register_post_accumulate_grad_hook", "split", "unflatten", "unique",
                          "unique_consecutive"))


class UnboundMethod:
    """torch.Tensor.NAME: one object per name, so that
    `torch.Tensor.sum is torch.Tensor.sum` holds as in Python."""

    __slots__ = ("name", "impl")
    _made: dict = {}

    def __new__(cls, name: str, impl):
        m = cls._made.get(name)
        if m is None or m.impl is not impl:
            m = cls._made[name] = object.__new__(cls)
            m.name, m.impl = name, impl
        return m

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does

    @property
    def py_type_name(self) -> str:
        """The name of its type, type(torch.Tensor.sum).__name__ (read by
        the errors that name a value's type)."""
        return "function" if self.name in PYTHON_LEVEL else "method_descriptor"

    def text(self, address: str) -> str:
        """How Python prints it."""
        if self.name in PYTHON_LEVEL:
            return f"<function Tensor.{self.name} at {address}>"
        return f"<method '{self.name}' of 'torch._C.TensorBase' objects>"

    def receiver(self, args: list, is_tensor, type_name) -> None:
        """Check that args (the call's positional arguments) start with a
        tensor, the one the method is called on: else Python's error."""
        if not args:
            msg = (f"Tensor.{self.name}() missing 1 required positional argument: 'self'"
                   if self.name in PYTHON_LEVEL else
                   f"unbound method TensorBase.{self.name}() needs an argument")
            raise GradvizError(msg, kind=TYPE, hint=_HINT.format(name=self.name))
        if not is_tensor(args[0]):
            got = type_name(args[0])
            raise GradvizError(f"descriptor '{self.name}' for 'torch._C.TensorBase' objects "
                               f"doesn't apply to a '{got}' object", kind=TYPE,
                               hint=_HINT.format(name=self.name))


_HINT = "torch.Tensor.{name}(x, ...) is x.{name}(...): give the tensor first"

