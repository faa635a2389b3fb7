"""The op registry and the modules that fill it (importing them registers)."""
from . import elementwise, linalg, losses, nn, reduce, shape  # noqa: F401  (register ops)
from .registry import OPS, OpDef, broadcast_shape, unbroadcast  # noqa: F401
