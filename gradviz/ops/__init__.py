"""The op registry and the modules that fill it (importing them registers)."""
from . import (activations, conv, conv_transpose, einsum, elementwise, linalg, losses, nn, norm, pool, reduce,  # noqa: F401
               reduce_more, scatter, select, shape, unary)  # (importing them registers their ops)
from . import counting, geometry  # noqa: F401  (unique; rot90, cross, cdist)
from . import act_backward, conv_backward, loss_backward, select_backward  # noqa: F401  (after the ops whose VJPs they are)
from . import recurrent  # noqa: F401  (an LSTM layer's one node)
from . import attention  # noqa: F401  (scaled_dot_product_attention's fused node)
from .registry import OPS, OpDef, broadcast_shape, unbroadcast  # noqa: F401
