"""The op registry and the modules that fill it (importing them registers)."""
from . import (activations, conv, conv_transpose, einsum, elementwise, linalg, losses, nn, norm, pool, reduce,  # noqa: F401
               reduce_more, scatter, select, shape, unary)  # (importing them registers their ops)
from . import counting, geometry  # noqa: F401  (unique; rot90, cross, cdist)
from . import act_backward, conv_backward, loss_backward, select_backward  # noqa: F401  (after the ops whose VJPs they are)
from . import recurrent  # noqa: F401  (an LSTM layer's one node)
from . import attention  # noqa: F401  (scaled_dot_product_attention's fused node)
from . import clamp_tensor  # noqa: F401  (clamp between tensors)
from . import shifts  # noqa: F401  (<< and >> on integer tensors)
from . import nn_more  # noqa: F401  (soft_margin_loss, pixel_shuffle, the upsamplings)
from . import group_norm  # noqa: F401  (F.group_norm's one node)
from . import im2col  # noqa: F401  (F.unfold and F.fold)
from . import binary_more  # noqa: F401  (div rounding modes, fmod, lerp, addcmul, hypot, ...)
from . import order_stats  # noqa: F401  (median, kthvalue, cummax, quantile, ...: after reduce)
from . import decomp, pnorm, spectral, triangular  # noqa: F401  (torch.linalg's factorizations, solvers, p-norms)
from .registry import OPS, OpDef, broadcast_shape, unbroadcast  # noqa: F401
from . import special  # noqa: F401  (logaddexp, sinc, digamma, polygamma, i0, entr)
from . import embed_diag  # noqa: F401  (diag_embed's one node)
from . import prelu  # noqa: F401  (F.prelu's one node)
