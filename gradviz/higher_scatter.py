"""create_graph=True rules of the ops that write at indices (index_add,
index_copy, index_fill, index_put with accumulate=True, scatter,
scatter_add, scatter_reduce, masked_scatter, put), and of rot90 and
block_diag: linear in each input but scatter_reduce's amax/amin and mean,
their gradients are the gathers, index_selects, index_fills, scatters,
takes and masked_scatter_backwards PyTorch records.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_order import _const, _op, _scaled, _shared


def _rows_of(rt, g, node, source):
    """grad.index_select(dim, index).expand_as(source)."""
    picked = _op(rt, "index_select", g, dim=node.params["dim"], index=node.params["index"])
    return _op(rt, "expand", picked, shape=source.data.shape)


def _r_index_add(rt, g, node, i):
    if i == 0:
        return g
    rows = _rows_of(rt, g, node, node.args[1])
    alpha = node.params["alpha"]
    return rows if alpha == 1 else _scaled(rt, "mul", rows, alpha)


def _rows_cleared(rt, g, node):         # grad.index_fill(dim, index, 0)
    p = node.params
    return _op(rt, "index_fill", g, dim=p["dim"], index=p["index"], given=p["index"], value=0.0)


def _r_index_copy(rt, g, node, i):
    return _rows_cleared(rt, g, node) if i == 0 else _rows_of(rt, g, node, node.args[1])


def _r_index_fill(rt, g, node, i):
    if i == 0:
        return _rows_cleared(rt, g, node)
    node.op.vjp[1](g.data, node.data, [a.data for a in node.args], node.params)  # its checks
    picked = _op(rt, "index_select", g, dim=node.params["dim"], index=node.params["index"])
    return _op(rt, "sum", picked, dim=None, keepdim=False)


def _r_index_put_add(rt, g, node, i):
    # accumulate=True: grad; the values: grad.index(indices), summed to their shape
    if i == 0:
        return g
    part = _op(rt, "index", g, index=node.params["index"], advanced=True,
               grad_fn="IndexBackward0")
    shape = node.args[1].data.shape
    if len(shape) > part.data.ndim:          # (values with extra leading 1s)
        part = _op(rt, "reshape", part, shape=(1,) * (len(shape) - part.data.ndim)
                   + part.data.shape)
    return part


def _r_scatter(rt, g, node, i):
    # grad.scatter(dim, index, 0) (scatter_add's: grad); src: grad.gather(dim, index)
    p = node.params
    if i == 0:
        if node.op.name == "scatter_add":
            return g
        return _op(rt, "scatter_value", g, dim=p["dim"], index=p["index"], value=0.0)
    return _op(rt, "gather", g, dim=p["dim"], index=p["index"], grad_fn="GatherBackward0")


def _r_scatter_reduce(rt, g, node, i):
    # scatter_reduce_backward for sum, mean, amax and amin (prod is refused);
    # without include_self, self's gradient is then scattered with 0
    from .ops.scatter import _counts, positions
    x, src = (a.data for a in node.args)
    p = node.params
    index, dim, reduce = p["index"], p["dim"], p["reduce"]
    if reduce not in ("sum", "mean", "amax", "amin"):       # PyTorch's error ('max' ...)
        node.op.vjp[i](g.data, node.data, [x, src], p)
    where = positions(index, dim)

    def gather(t):
        return _op(rt, "gather", t, dim=dim, index=index, grad_fn="GatherBackward0")
    if reduce == "sum":                 # grad; grad.gather(dim, index)
        part = g if i == 0 else gather(g)
    elif reduce == "mean":              # grad / N; grad.gather(dim, index) / N.gather(...)
        n = np.maximum(_counts(x, p), 1).astype(g.data.dtype)
        part = _op(rt, "div", g, _const(rt, n, "count")) if i == 0 else \
            _op(rt, "div", gather(g), _const(rt, n[where], "count"))
    else:
        # the gradient shared by the values equal to the result:
        # grad / N, times (self == result), or gathered times (src == value)
        self_is = x == node.data
        src_is = src == node.data[where]
        n = self_is.astype(x.dtype)
        np.add.at(n, where, src_is.astype(x.dtype))
        spread = _shared(node, g, "spread",
                         lambda: _op(rt, "div", g, _const(rt, n, "count")))
        part = _op(rt, "mul", _const(rt, self_is, "mask"), spread) if i == 0 else \
            _op(rt, "mul", _const(rt, src_is, "mask"), gather(spread))
    if i == 0 and not p["include_self"]:
        return _op(rt, "scatter_value", part, dim=dim, index=index, value=0.0)
    return part


def _index_rows(node) -> np.ndarray:
    """index_reduce's vector of indices: its node keeps it spread over
    source's shape (scatter_fns.f_index_reduce), the same along every other dim."""
    spread, dim = node.params["index"], node.params["dim"]
    first = tuple(slice(None) if d == dim else 0 for d in range(spread.ndim))
    if 0 in spread.shape:           # (no slice to read it from; nothing is picked)
        return np.zeros(spread.shape[dim], np.int64)
    return spread[first]


def _r_index_reduce(rt, g, node, i):
    # index_reduce_backward: scatter_reduce_backward's formula with
    # index_select for gather and index_fill(dim, index, 0) for scatter
    x, src = node.args
    p = node.params
    dim, rows = p["dim"], _index_rows(node)

    def select(t):
        return _op(rt, "index_select", t, dim=dim, index=rows)
    if p["reduce"] == "prod":
        part = _index_prod_grad(rt, g, node, i, select)
    elif p["reduce"] == "mean":         # grad / N; grad.index_select(dim, index) / N_src
        from .ops.scatter import _counts
        n = np.maximum(_counts(x.data, p), 1).astype(g.data.dtype)
        part = _op(rt, "div", g, _const(rt, n, "count")) if i == 0 else \
            _op(rt, "div", select(g), _const(rt, n[_rows_at(rows, dim, n.ndim)], "count"))
    else:
        # grad / N shared by the values equal to the result: times
        # (self == result), or index_selected times (source == value)
        self_is = x.data == node.data
        src_is = src.data == node.data[_rows_at(rows, dim, x.data.ndim)]
        n = self_is.astype(x.data.dtype)
        np.add.at(n, _rows_at(rows, dim, n.ndim), src_is.astype(x.data.dtype))
        spread = _shared(node, g, "spread", lambda: _op(rt, "div", g, _const(rt, n, "count")))
        part = _op(rt, "mul", _const(rt, self_is, "mask"), spread) if i == 0 else \
            _op(rt, "mul", _const(rt, src_is, "mask"), select(spread))
    if i == 0 and not p["include_self"]:
        return _op(rt, "index_fill", part, dim=dim, index=rows, given=rows, value=0.0)
    return part


def _rows_at(rows, dim: int, ndim: int) -> tuple:
    """A numpy index of the slices rows names along dim."""
    return (slice(None),) * dim + (rows,) + (slice(None),) * (ndim - dim - 1)


def _index_prod_grad(rt, g, node, i, select):
    """index_reduce_backward with 'prod': self's gradient grad * (the
    reduction of self with its zeros made 1) / that self; source's where
    (its only zero at a position: grad * the reduction with that zero made
    1, else grad * result / source with its zeros made 1), index_selected."""
    x, src = node.args
    p = node.params

    def reduce(a, b):
        return _op(rt, "index_reduce", a, b, **p)

    def ones_at(t, mask):
        return _op(rt, "masked_fill", t, _const(rt, mask, "mask"), 1.0)
    if i == 0:
        masked_self = ones_at(x, x.data == 0)
        return _op(rt, "div", _op(rt, "mul", g, reduce(masked_self, src)), masked_self)
    src_zero = src.data == 0
    single = src_zero & (_zeros_at_slot(node) == 1)
    masked_src_result = reduce(x, ones_at(src, single))
    part = _op(rt, "where", _const(rt, single, "mask"),
               select(_op(rt, "mul", g, masked_src_result)),
               _op(rt, "div", select(_op(rt, "mul", g, node)), ones_at(src, src_zero)))
    if (_zeros_at_slot(node) > 1).any():
        return _op(rt, "index_reduce_delayed_error", part)
    return part


def _zeros_at_slot(node) -> np.ndarray:
    """For each of source's values, how many zeros of source go to its
    position of the result."""
    src, p = node.args[1].data, node.params
    rows_at = _rows_at(_index_rows(node), p["dim"], src.ndim)
    count = np.zeros(node.data.shape, np.int64)
    np.add.at(count, rows_at, (src == 0).astype(np.int64))
    return count[rows_at]


def _scatter_reduce_refused(node):
    if node.params["reduce"] == "prod":
        return " with reduce='prod'"
    return _src_larger_than_index(node)


def _src_larger_than_index(node):
    src = node.args[1]
    return " with src larger than index" if src.data.shape != node.params["index"].shape \
        else None


def _r_masked_scatter(rt, g, node, i):
    # grad.masked_fill(mask, 0); source: masked_scatter_backward(grad, mask, its sizes)
    mask = node.params["mask"]
    if i == 0:
        return _op(rt, "masked_fill", g, _const(rt, mask, "mask"), 0.0)
    return _op(rt, "masked_scatter_backward", g, mask=mask, shape=node.args[1].data.shape)


def _r_put(rt, g, node, i):
    # grad (accumulate) or grad.put(index, zeros_like(source)); source:
    # grad.take(index).reshape_as(source), a view
    p = node.params
    shape = node.args[1].data.shape
    if i == 1:
        return _op(rt, "view", _op(rt, "take", g, index=p["index"]), shape=shape)
    if p["accumulate"]:
        return g
    zeros = _const(rt, np.zeros(shape, g.data.dtype), "zeros")
    return _op(rt, "put", g, zeros, index=p["index"], accumulate=False)


def _r_rot90(rt, g, node, i):           # grad.rot90(-k, dims)
    return _op(rt, "rot90", g, k=-node.params["k"], dims=node.params["dims"])


def _r_block_diag(rt, g, node, i):
    # block_diag_backward: the input's block, two slices, and for a 1-d
    # input (one row) one squeeze(-1), for a 0-d one two; PyTorch's squeeze(-1)
    # of a row of more than one leaves it (1, n), summed to (n,) by the pass
    from .ops.block_diag import _as_block, _corners
    xs = [a.data for a in node.args]
    r, c = _corners(xs)[i]
    rows, cols = _as_block(xs[i]).shape
    part = _op(rt, "index", g, index=(slice(r, r + rows),), advanced=False,
               grad_fn="SliceBackward0")
    part = _op(rt, "index", part, index=(slice(None), slice(c, c + cols)), advanced=False,
               grad_fn="SliceBackward0")
    for _ in range(2 - xs[i].ndim):
        shape = part.data.shape
        part = _op(rt, "squeeze", part, dim=len(shape) - 1,
                   shape=shape[:-1] if shape[-1] == 1 else shape)
    return part


SCATTER_VJPS = {
    "index_add": _r_index_add, "index_copy": _r_index_copy, "index_fill": _r_index_fill,
    "index_put_add": _r_index_put_add, "scatter": _r_scatter, "scatter_add": _r_scatter,
    "scatter_value": _r_scatter, "scatter_reduce": _r_scatter_reduce,
    "index_reduce": _r_index_reduce,
    "rot90": _r_rot90, "block_diag": _r_block_diag,
    "masked_scatter": _r_masked_scatter, "put": _r_put,
}

SCATTER_REFUSALS = {"scatter": _src_larger_than_index, "scatter_add": _src_larger_than_index,
                    "scatter_reduce": _scatter_reduce_refused}
