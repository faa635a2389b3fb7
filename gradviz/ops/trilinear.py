"""F.bilinear's product as one node, as PyTorch records it
(TrilinearBackward0): out[b, o] = sum_ij x1[b, i] W[o, i, j] x2[b, j]."""
from __future__ import annotations

import numpy as np

from .registry import defop

# each input's gradient (or tangent) as einsum over the other two and g
_VJP_SPECS = ("bo,oij,bj->bi", "bo,bi,bj->oij", "bo,bi,oij->bj")


def _forward(xs, p):
    return np.einsum("bi,oij,bj->bo", *xs)


def _vjp(i):
    def rule(g, ans, xs, p):
        others = [x for k, x in enumerate(xs) if k != i]
        return np.einsum(_VJP_SPECS[i], g, *others).astype(np.result_type(g))
    return rule


def _jvp(i):
    def rule(t, ans, xs, p):
        parts = [t if k == i else x for k, x in enumerate(xs)]
        return _forward(parts, p).astype(np.result_type(t))
    return rule


defop("bilinear", "TrilinearBackward0", _forward, vjp=tuple(_vjp(i) for i in range(3)),
      jvp=tuple(_jvp(i) for i in range(3)), saved=("0", "1", "2"),
      formula=("d/dx1 = g W x2", "d/dW = g x1 x2 (outer)", "d/dx2 = g x1 W"))
