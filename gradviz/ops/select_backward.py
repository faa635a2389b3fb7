"""The backward of the gathers as ops of their own, as PyTorch records them
under create_graph=True: gather's gradient is one node, ScatterAddBackward0
(zeros with g added at the gathered positions), sort's, topk's and
max(dim)'s ScatterBackward0, index_select's IndexAddBackward0, take's
PutBackward0, masked_select's MaskedScatterBackward0, diagonal's
DiagonalBackwardBackward0.

Each computes the op's own VJP (forward(g) = op.vjp(g) for an input of
params["shape"]); being linear in g, its VJP is the op's forward again (a
gather of the gradient) and its JVP its own forward of the tangent.
"""
from __future__ import annotations

import numpy as np

from .registry import OPS, SAME, defop


def _stand_in(p, dtype):
    """An input of the gathered op's shape: its VJP reads only the shape."""
    return np.broadcast_to(np.zeros((), dtype), p["shape"])


def _backward_op(op: str, grad_fn, formula: str, mask: bool = False):
    """op_backward(g[, mask]): op's VJP as an op (inputs g, and the mask
    for masked_select), op's params plus the input's shape."""
    vjp, fwd = OPS[op].vjp[0], OPS[op].forward

    def forward(xs, p):
        g = xs[0]
        return vjp(g, None, (_stand_in(p, g.dtype),) + tuple(xs[1:]), p)

    def by_g(g, ans, xs, p):
        # the op itself reads the gradient back (as the op's params say)
        return fwd([g] + list(xs[1:]), p)

    defop(f"{op}_backward", grad_fn, forward,
          vjp=(by_g, None) if mask else (by_g,),
          jvp=((lambda t, ans, xs, p: forward([t] + list(xs[1:]), p)),) + ((None,) if mask else ()),
          formula=(formula,) + (("",) if mask else ()), symbol=f"{op}_backward",
          saves=False, dtype_rule=SAME)


# gather's grad_fn names the call (GatherBackward0, SortBackward0 ...): its
# backward is a scatter_add for gather, a scatter for the others (their
# indices do not repeat)
_backward_op("gather", lambda t: t.params["grad_fn"],
             "d gather_backward(g)/dg: the gradient gathered back")
_backward_op("index_select", "IndexAddBackward0",
             "d index_add(zeros, g)/dg: the gradient's selected rows")
_backward_op("take", "PutBackward0", "d put(zeros, g)/dg: the gradient taken at the positions")
_backward_op("masked_select", "MaskedScatterBackward0",
             "d masked_scatter(zeros, g)/dg: the gradient selected by the mask", mask=True)
_backward_op("diagonal", "DiagonalBackwardBackward0",
             "d diagonal_backward(g)/dg: the gradient's diagonal")


def _trace_backward_fwd(xs, p):
    out = np.zeros(p["size"], xs[0].dtype)
    out[p["index"]] = xs[0]
    return out


# trace's backward: zeros of the matrix's size (flat) with g at the diagonal's
# positions (PyTorch's index_fill with a 0-d tensor value: IndexFillBackward1)
defop("trace_backward", "IndexFillBackward1", _trace_backward_fwd,
      vjp=(lambda g, ans, xs, p: np.asarray(g[p["index"]].sum(), g.dtype),),
      jvp=(lambda t, ans, xs, p: _trace_backward_fwd([np.asarray(t)], p),),
      formula=("d index_fill(zeros, index, g)/dg = 1 at each filled position",),
      symbol="index_fill", saves=False, dtype_rule=SAME)
