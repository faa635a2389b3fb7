"""The op registry and the modules that fill it (importing them registers)."""
from . import activations, elementwise, linalg, nn, reduce, reduce_more, select, shape, unary  # noqa: F401  (register ops)
from .registry import OPS, OpDef, broadcast_shape, unbroadcast  # noqa: F401
