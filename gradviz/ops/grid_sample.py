"""F.grid_sample's one node (GridSampler2DBackward0 / GridSampler3DBackward0)
and F.affine_grid's (AffineGridGeneratorBackward0).

grid_sampler(input, grid): input (N, C, *S) with S = (H, W) or (D, H, W);
grid (N, *O, k), k = len(S), its last axis (x, y[, z]) naming the input's
spatial axes from the last one. p: "mode" (bilinear, nearest, bicubic),
"padding" (zeros, border, reflection), "align_corners". Computed in the
input's dtype in the steps of PyTorch's CPU kernels (GridSamplerKernel.cpp).
"""
from __future__ import annotations

import itertools

import numpy as np

from .nn_more import _fma
from .registry import SAME, defop


# ---- source positions ---------------------------------------------------------

def _unnormalize(coord, size: int, align: bool, scalar: bool = False):
    """A grid coordinate in [-1, 1] as a position along an axis of `size`, and
    the derivative of that map: (c + 1) (size - 1) / 2 with align_corners,
    else (c + 1) size / 2 - 1/2. scalar: in the steps of PyTorch's 3-d
    kernel (not vectorized): ((c + 1) / 2) (size - 1), ((c + 1) size - 1) / 2."""
    dt = coord.dtype.type
    if scalar:
        one = dt(1)
        pos = ((coord + one) / dt(2)) * dt(size - 1) if align else \
            ((coord + one) * dt(size) - one) / dt(2)
        return pos.astype(coord.dtype), dt((size - 1) / 2 if align else size / 2)
    if align:
        scale = dt((size - 1) / 2)
        return ((coord + dt(1)) * scale).astype(coord.dtype), scale
    scale = dt(size / 2)
    # (one fused multiply-add in PyTorch's vectorized kernel)
    return _fma(coord + dt(1), scale, dt(-0.5)).astype(coord.dtype), scale


def _clip(pos, size: int):
    """padding_mode border: the position clamped to [0, size - 1]; its
    derivative 1 strictly inside, 0 at and beyond the borders."""
    dt = pos.dtype.type
    high = dt(size - 1)
    out = np.minimum(np.maximum(pos, dt(0)), high)
    return out, ((out != 0) & (out != high)).astype(pos.dtype)


def _reflect(pos, low2: int, high2: int):
    """reflect_coordinates: the position folded back into [low2 / 2, high2 / 2]
    (twice the bounds, as PyTorch keeps them whole), and its derivative +-1."""
    dt = pos.dtype.type
    if low2 == high2:
        return np.zeros_like(pos), np.zeros_like(pos)
    low, span = dt(low2 / 2), dt((high2 - low2) / 2)
    shifted = pos - low
    sign = np.where(shifted < 0, dt(-1), dt(1))
    shifted = np.abs(shifted)
    extra = np.fmod(shifted, span)
    flips = np.floor(shifted / span)
    even = flips % 2 == 0
    out = np.where(even, extra + low, span - extra + low).astype(pos.dtype)
    return out, np.where(even, sign, -sign).astype(pos.dtype)


def _source(coord, size: int, p, scalar: bool):
    """grid_sampler_compute_source_index_set_grad: the input position a grid
    coordinate samples, and d position / d coordinate."""
    align = p["align_corners"]
    pos, mult = _unnormalize(coord, size, align, scalar)
    if p["padding"] == "border":
        pos, d = _clip(pos, size)
        return pos, d * mult
    if p["padding"] == "reflection":
        pos, d1 = _reflect(pos, 0, 2 * (size - 1)) if align else _reflect(pos, -1, 2 * size - 1)
        pos, d2 = _clip(pos, size)
        return pos, d1 * d2 * mult
    return pos, np.full(pos.shape, mult, pos.dtype)


def _points(grid):
    """The grid as (N, P, k): its output points in a row."""
    return grid.reshape(grid.shape[0], int(np.prod(grid.shape[1:-1])), grid.shape[-1])


def _positions(x, grid, p):
    """Per spatial axis of the input (in its order), the positions sampled
    (N, P) and their derivatives by the grid coordinate, P the output points."""
    sizes = x.shape[2:]
    k = len(sizes)
    flat = _points(grid)
    # the grid's last axis names the input's spatial axes from the last one
    return [_source(np.ascontiguousarray(flat[..., k - 1 - a]), sizes[a], p, k == 3)
            for a in range(k)]


def sample_cells(x, grid, p):
    """Where the op changes piece (for gradient checks): each grid
    coordinate's position, unnormalized and doubled, and its floor. Bilinear
    and bicubic change corners at whole positions, nearest its pick at
    halves, and the paddings fold or clamp at either."""
    sizes = x.shape[2:]
    k = len(sizes)
    flat = _points(np.asarray(grid, np.float64))
    doubled = np.stack([2 * _unnormalize(flat[..., k - 1 - a], sizes[a], p["align_corners"])[0]
                        for a in range(k)])
    return np.floor(doubled), doubled


# ---- the corners each output point reads -----------------------------------

def _corners(x, grid, p):
    """Each corner an output point reads, in PyTorch's order (nw, ne, sw, se;
    the front ones first in 3-d): (flat index into a channel, in-bounds
    mask, weight, d weight / d position per axis). nearest: one corner."""
    sizes = x.shape[2:]
    pos = [q for q, _ in _positions(x, grid, p)]
    if p["mode"] == "nearest":
        idx = [np.rint(q).astype(np.int64) for q in pos]
        return [_corner(idx, sizes, np.ones_like(pos[0]), None)]
    low, sides = _sides(pos)
    one = pos[0].dtype.type(1)
    out = []
    for bits, ws in sides:
        idx = [lo.astype(np.int64) + b for lo, b in zip(low, bits)]
        weight = _product(ws)
        dws = [np.where(b, one, -one) * _product(ws[:a] + ws[a + 1:]) for a, b in enumerate(bits)]
        out.append(_corner(idx, sizes, weight, dws))
    return out


def _sides(pos):
    """The cells' low corners (per axis) and, per corner (its bits: 0 the
    near side, 1 the far one, along each axis), each axis's weight: the
    distance to the opposite side; the 2-d kernel takes the near side's as
    1 - the far side's, the 3-d one as high - pos."""
    low = [np.floor(q) for q in pos]
    one = pos[0].dtype.type(1)
    far = [(q - lo).astype(q.dtype) for q, lo in zip(pos, low)]
    if len(pos) == 3:
        near = [((lo + one) - q).astype(q.dtype) for q, lo in zip(pos, low)]
    else:
        near = [(one - f).astype(f.dtype) for f in far]
    return low, [(bits, [f if b else n for f, n, b in zip(far, near, bits)])
                 for bits in itertools.product((0, 1), repeat=len(pos))]


def _product(ws):
    """The axes' weights multiplied: y x in 2-d (s e for nw), x y z in 3-d."""
    if len(ws) == 3:
        ws = ws[::-1]
    out = ws[0]
    for w in ws[1:]:
        out = (out * w).astype(w.dtype)
    return out if len(ws) > 1 else np.asarray(out)


def _corner(idx, sizes, weight, dws):
    inside = np.ones(idx[0].shape, bool)
    flat = np.zeros(idx[0].shape, np.int64)
    for i, n in zip(idx, sizes):
        inside &= (i >= 0) & (i < n)
        flat = flat * n + np.clip(i, 0, n - 1)
    return flat, inside, weight, dws


def _gather(x, flat, inside):
    """The input's values at one corner of every output point: (N, C, P),
    zero where the corner is outside."""
    planes = x.reshape(x.shape[0], x.shape[1], int(np.prod(x.shape[2:])))
    vals = np.take_along_axis(planes, flat[:, None, :], axis=2)
    return np.where(inside[:, None, :], vals, 0).astype(x.dtype)


def _grid_sample_fwd(xs, p):
    x, grid = xs
    if p["mode"] == "bicubic":
        return _bicubic_fwd(x, grid, p)
    out = None
    # value times weight, corner by corner, each added with a fused
    # multiply-add in the 2-d (vectorized) kernel
    add = _fma if x.ndim == 4 else lambda a, b, c: (c + (a * b).astype(x.dtype)).astype(x.dtype)
    for flat, inside, weight, _ in _corners(x, grid, p):
        vals = _gather(x, flat, inside)
        out = (vals * weight[:, None, :]).astype(x.dtype) if out is None else \
            add(vals, weight[:, None, :], out)
    return out.reshape(x.shape[:2] + grid.shape[1:-1])


def _grid_sample_input_vjp(g, ans, xs, p):
    """Each output's gradient, times each corner's weight, added into the
    corner (inside the input only)."""
    x, grid = xs
    if p["mode"] == "bicubic":
        return _bicubic_input_vjp(g, x, grid, p)
    n, c = x.shape[:2]
    g = np.asarray(g, x.dtype).reshape(n, c, flat_size(grid))
    out = np.zeros((n, c, int(np.prod(x.shape[2:]))), x.dtype)
    rows = np.arange(n)[:, None, None]
    chans = np.arange(c)[None, :, None]
    for flat, inside, weight, _ in _corners(x, grid, p):
        part = (g * np.where(inside, weight, 0)[:, None, :]).astype(x.dtype)
        np.add.at(out, (rows, chans, flat[:, None, :]), part)
    return out.reshape(x.shape)


def _slopes(x, grid, p):
    """Per spatial axis, d out / d position at every output point and
    channel (N, C, P): PyTorch's sum over the pairs of corners that differ
    along the axis, (far - near) times the other axes' weights (in 2-d
    ((ne - nw) s + (se - sw) n) along x)."""
    sizes = x.shape[2:]
    k = len(sizes)
    corners = dict(zip(itertools.product((0, 1), repeat=k), _corners(x, grid, p)))
    vals = {bits: _gather(x, flat, inside) for bits, (flat, inside, _, _) in corners.items()}
    slopes = []
    for a in range(k):
        total = None
        for bits, (_, _, _, dws) in corners.items():
            if bits[a]:
                continue
            far = bits[:a] + (1,) + bits[a + 1:]
            # (dws[a] of the near corner: minus the other axes' weights)
            term = ((vals[far] - vals[bits]) * -dws[a][:, None, :]).astype(x.dtype)
            total = term if total is None else (total + term).astype(x.dtype)
        slopes.append(total)
    return slopes


def flat_size(grid) -> int:
    return int(np.prod(grid.shape[1:-1]))


def _running_total(terms):
    """terms (N, K, P) added along K one after another in the dtype (cumsum
    adds in order), as PyTorch's kernels accumulate; zeros when K is 0."""
    if terms.shape[1] == 0:
        return np.zeros((terms.shape[0], terms.shape[2]), terms.dtype)
    return np.cumsum(terms, axis=1)[:, -1]


def _grid_sample_grid_vjp(g, ans, xs, p):
    """d out / d grid: per spatial axis, the slope of the interpolation
    times the incoming gradient, summed over the channels, times
    d position / d coordinate (0 for nearest)."""
    x, grid = xs
    if p["mode"] == "bicubic":
        return _bicubic_grid_vjp(g, x, grid, p)
    if p["mode"] == "nearest":
        return np.zeros_like(grid)
    n, c = x.shape[:2]
    k = grid.shape[-1]
    g = np.asarray(g, x.dtype).reshape(n, c, flat_size(grid))
    derivs = [d for _, d in _positions(x, grid, p)]
    out = np.empty(_points(grid).shape, x.dtype)
    for a, slope in enumerate(_slopes(x, grid, p)):
        # (added over the channels one after another, as PyTorch's kernel)
        out[..., k - 1 - a] = _running_total((slope * g).astype(x.dtype)) * derivs[a]
    return out.reshape(grid.shape)


def _grid_sample_jvp_input(t, ans, xs, p):
    return _grid_sample_fwd([t, xs[1]], p)


def _grid_sample_jvp_grid(t, ans, xs, p):
    """The grid's tangent: per spatial axis, the slope of the interpolation
    times d position / d coordinate times the tangent's coordinate."""
    x, grid = xs
    n, c = x.shape[:2]
    k = grid.shape[-1]
    out = np.zeros((n, c, int(np.prod(grid.shape[1:-1]))), x.dtype)
    if p["mode"] == "nearest":
        return out.reshape(x.shape[:2] + grid.shape[1:-1])
    if p["mode"] == "bicubic":
        return _bicubic_grid_jvp(t, x, grid, p)
    tangent = np.asarray(t, x.dtype).reshape(n, 1, flat_size(grid), k)
    derivs = [d for _, d in _positions(x, grid, p)]
    for a, slope in enumerate(_slopes(x, grid, p)):
        out += slope * derivs[a][:, None, :] * tangent[..., k - 1 - a]
    return out.reshape(x.shape[:2] + grid.shape[1:-1])


def _grid_sample_grad_fn(t) -> str:
    return "GridSampler2DBackward0" if t.args[0].data.ndim == 4 else "GridSampler3DBackward0"


# ---- bicubic (4-d only): 4 x 4 taps around each position ----------------------
# The positions are not padded (a tap left of 0 is tap -1, as the cubic
# needs); each tap is, as PyTorch's compute_coordinates does, and the
# gradient ignores the padding's fold.

def _cubic_coeffs(t):
    """get_cubic_coefficients (A = -0.75): the weights of the taps at -1, 0,
    1, 2 for the fraction t, and the negated derivatives PyTorch's backward
    uses (get_cubic_coefficients_grad)."""
    dt = t.dtype.type
    a = dt(-0.75)
    one = dt(1)

    def near(v):        # |v| <= 1
        return ((((a + dt(2)) * v - (a + dt(3))) * v * v) + one).astype(t.dtype)

    def far(v):         # 1 < |v| < 2
        return ((((a * v - dt(5) * a) * v + dt(8) * a) * v) - dt(4) * a).astype(t.dtype)
    coeffs = [far(t + one), near(t), near(one - t), far((one - t) + one)]
    grads = []
    for off, (c2, c1, c0) in zip((-1, 0, 1, 2), ((-3, -10, -8), (-3, -2, 0), (3, -2, 0),
                                                (3, -10, 8))):
        v = (dt(off) - t).astype(t.dtype)
        # (c2 A' v + c1 A'') v + c0 A: the A' = A or A + 2, A'' = A or A + 3 of each tap
        inner = a if off in (-1, 2) else a + dt(2)
        outer = a if off in (-1, 2) else a + dt(3)
        grads.append(((dt(c2) * inner * v + dt(c1) * outer) * v + dt(c0) * a).astype(t.dtype))
    return coeffs, grads


def _bicubic_taps(x, grid, p):
    """The 16 taps of each output point (y offset outer, x inner): their
    flat index, in-bounds mask, and (x, y) tap numbers; the x and y cubic
    weights and their gradients, and the unnormalizing scales."""
    height, width = x.shape[2:]
    flat = _points(grid)
    px, sx = _unnormalize(np.ascontiguousarray(flat[..., 0]), width, p["align_corners"])
    py, sy = _unnormalize(np.ascontiguousarray(flat[..., 1]), height, p["align_corners"])
    ix, iy = np.floor(px), np.floor(py)
    xc, xg = _cubic_coeffs((px - ix).astype(px.dtype))
    yc, yg = _cubic_coeffs((py - iy).astype(py.dtype))
    taps = []
    for j in range(4):
        row = _padded_tap((iy + (j - 1)).astype(py.dtype), height, p)
        for i in range(4):
            col = _padded_tap((ix + (i - 1)).astype(px.dtype), width, p)
            taps.append(((row[0] * width + col[0]), row[1] & col[1], i, j))
    return taps, (xc, xg, yc, yg), (sx, sy)


def _padded_tap(pos, size: int, p):
    """compute_coordinates of a whole tap position: clamped (border), folded
    back and clamped (reflection), or as it is (zeros); its index and
    whether it is inside."""
    if p["padding"] == "border":
        pos = _clip(pos, size)[0]
    elif p["padding"] == "reflection":
        low2, high2 = (0, 2 * (size - 1)) if p["align_corners"] else (-1, 2 * size - 1)
        pos = _clip(_reflect(pos, low2, high2)[0], size)[0]
    idx = pos.astype(np.int64)
    inside = (idx >= 0) & (idx < size)
    return np.clip(idx, 0, size - 1), inside


def _bicubic_fwd(x, grid, p):
    taps, (xc, _, yc, _), _ = _bicubic_taps(x, grid, p)
    out = None
    for j in range(4):
        # along x first (each row's four taps added in order), then along y
        row = None
        for flat, inside, i, _ in taps[4 * j:4 * j + 4]:
            term = (xc[i][:, None, :] * _gather(x, flat, inside)).astype(x.dtype)
            row = term if row is None else (row + term).astype(x.dtype)
        term = (yc[j][:, None, :] * row).astype(x.dtype)
        out = term if out is None else (out + term).astype(x.dtype)
    return out.reshape(x.shape[:2] + grid.shape[1:-1])


def _bicubic_input_vjp(g, x, grid, p):
    taps, (xc, _, yc, _), _ = _bicubic_taps(x, grid, p)
    n, c = x.shape[:2]
    g = np.asarray(g, x.dtype).reshape(n, c, flat_size(grid))
    out = np.zeros((n, c, int(np.prod(x.shape[2:]))), x.dtype)
    rows = np.arange(n)[:, None, None]
    chans = np.arange(c)[None, :, None]
    for flat, inside, i, j in taps:
        weight = np.where(inside, (xc[i] * yc[j]).astype(x.dtype), 0)
        np.add.at(out, (rows, chans, flat[:, None, :]), (g * weight[:, None, :]).astype(x.dtype))
    return out.reshape(x.shape)


def _bicubic_slope_terms(x, grid, p, g):
    """Per channel and tap (N, C, 16, P), the terms PyTorch subtracts one
    after another into the x and y gradients: value * g * the cubic
    gradient along the axis * the weight along the other."""
    taps, (xc, xg, yc, yg), scales = _bicubic_taps(x, grid, p)
    gx, gy = [], []
    # (PyTorch's backward walks the taps x offset outer, y inner)
    for flat, inside, i, j in sorted(taps, key=lambda tap: (tap[2], tap[3])):
        vg = (_gather(x, flat, inside) * g).astype(x.dtype)
        gx.append((vg * xg[i][:, None, :] * yc[j][:, None, :]).astype(x.dtype))
        gy.append((vg * yg[j][:, None, :] * xc[i][:, None, :]).astype(x.dtype))
    return np.stack(gx, 2), np.stack(gy, 2), scales


def _bicubic_grid_vjp(g, x, grid, p):
    n, c = x.shape[:2]
    g = np.asarray(g, x.dtype).reshape(n, c, flat_size(grid))
    gx, gy, (sx, sy) = _bicubic_slope_terms(x, grid, p, g)
    out = np.empty(_points(grid).shape, x.dtype)
    for axis, terms, scale in ((0, gx, sx), (1, gy, sy)):
        # 0 - t1 - t2 - ... over channels and taps, in the kernel's order
        total = _running_total(-terms.reshape(n, c * 16, terms.shape[-1]))
        out[..., axis] = total * scale
    return out.reshape(grid.shape)


def _bicubic_grid_jvp(t, x, grid, p):
    n, c = x.shape[:2]
    gx, gy, (sx, sy) = _bicubic_slope_terms(x, grid, p, np.ones((), x.dtype))
    tangent = np.asarray(t, x.dtype).reshape(n, 1, flat_size(grid), 2)
    out = -gx.sum(axis=2) * sx * tangent[..., 0] - gy.sum(axis=2) * sy * tangent[..., 1]
    return out.astype(x.dtype).reshape(x.shape[:2] + grid.shape[1:-1])


defop("grid_sampler", _grid_sample_grad_fn, _grid_sample_fwd,
      vjp=(_grid_sample_input_vjp, _grid_sample_grid_vjp),
      jvp=(_grid_sample_jvp_input, _grid_sample_jvp_grid), saved=("01", "01"),
      formula=("d out/d input = each corner's interpolation weight, at the corners sampled",
               "d out/d grid = the slope of the interpolation between the corners, times "
               "the positions' scale (size / 2, or (size - 1) / 2 with align_corners)"),
      symbol="F.grid_sample", dtype_rule=SAME)


# ---- affine_grid_generator: theta (N, k, k + 1); p["size"] (N, C, *S) ---------

def _base_axis(steps: int, align: bool, dt):
    """linspace(-1, 1, steps), times (steps - 1) / steps without
    align_corners (0 for one step), in the dtype."""
    if steps <= 1:
        return np.zeros(max(steps, 0), dt)
    step = dt.type(2) / dt.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    # (PyTorch's linspace: from the start for the first half, from the end for the rest)
    vals = np.where(i < half, np.float64(-1) + np.float64(step) * i,
                    np.float64(1) - np.float64(step) * (steps - 1 - i)).astype(dt)
    if not align:
        # (times steps - 1, then over steps: two roundings, as PyTorch's)
        vals = ((vals * dt.type(steps - 1)).astype(dt) / dt.type(steps)).astype(dt)
    return vals


def _base_grid(size, align: bool, dt):
    """(prod S, k + 1): each output point's (x, y[, z], 1), x along the last axis."""
    spatial = size[2:]
    axes = [_base_axis(s, align, dt) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    cols = [m.reshape(-1) for m in reversed(mesh)]
    return np.stack(cols + [np.ones(int(np.prod(spatial)), dt)], axis=1)


def _affine_fwd(xs, p):
    theta = xs[0]
    base = _base_grid(p["size"], p["align_corners"], theta.dtype)
    # each coordinate x theta0 + y theta1 (+ z theta2) + 1 theta_last, added
    # in that order (PyTorch's batched product of three or four terms)
    out = None
    for j in range(base.shape[1]):
        term = (base[None, :, j:j + 1] * theta[:, None, :, j]).astype(theta.dtype)
        out = term if out is None else (out + term).astype(theta.dtype)
    return out.reshape((theta.shape[0],) + tuple(p["size"][2:]) + (theta.shape[1],))


def _affine_vjp(g, ans, xs, p):
    theta = xs[0]
    base = _base_grid(p["size"], p["align_corners"], theta.dtype)
    g = np.asarray(g, theta.dtype).reshape(theta.shape[0], base.shape[0], theta.shape[1])
    if g.shape[1] == 0:
        return np.zeros_like(theta)
    # each entry a sum over the output points, added one after another in
    # the dtype (as PyTorch's batched product does here; cumsum adds in order)
    terms = (g[:, :, :, None] * base[None, :, None, :]).astype(theta.dtype)
    return np.cumsum(terms, axis=1)[:, -1]


defop("affine_grid_generator", "AffineGridGeneratorBackward0", _affine_fwd,
      vjp=(_affine_vjp,), jvp=(lambda t, ans, xs, p: _affine_fwd([t], p),), saves=False,
      formula=("d grid/d theta = each output point's base coordinates (x, y[, z], 1)",),
      symbol="F.affine_grid", dtype_rule=SAME)


# ---- grid_sampler's backward as an op (create_graph=True) ------------------------
# Inputs (g, input, grid) as PyTorch's GridSampler2DBackwardBackward0 saves
# them; p grid_sampler's own plus "output" ("input" or "grid": which
# gradient; PyTorch makes both in one node, here each is a node of that
# name). Both gradients are linear in g; the grid's is linear in the input
# too; the input's does not depend on the input (undefined, None).

def _sampler(p):
    return {k: v for k, v in p.items() if k != "output"}


def _sampler_backward(xs, p):
    g, x, grid = xs
    vjp = _grid_sample_input_vjp if p["output"] == "input" else _grid_sample_grid_vjp
    return vjp(g, None, [x, grid], _sampler(p))


def _sampler_backward_vjp_g(gg, ans, xs, p):
    # <gg, d_input(g)> = <sample(gg), g>; <gg, d_grid(g)> = <the grid's JVP along gg, g>
    _, x, grid = xs
    if p["output"] == "input":
        return _grid_sample_fwd([gg, grid], _sampler(p))
    return _grid_sample_jvp_grid(gg, None, [x, grid], _sampler(p))


def _along_tangent(x, grid, p, t):
    """Per corner (flat, inside, dws), the tangent t of the grid (the
    incoming gradient of the grid's gradient) taken along each axis:
    sum over axes of t's coordinate, d position / d coordinate and d
    weight / d position: how the corner's weight moves along t."""
    k = x.ndim - 2
    tk = _points(np.asarray(t, x.dtype))
    derivs = [d for _, d in _positions(x, grid, p)]
    for flat, inside, _, dws in _corners(x, grid, p):
        moved = sum(tk[..., k - 1 - a] * derivs[a] * dws[a] for a in range(k))
        yield flat, inside, moved


def _weights_moved(g, x, grid, p, t):
    """Each output gradient g times how its corner's weight moves as the
    grid moves along t, added into the corner: the input gradient's change
    along t, and (the same bilinear form) the grid gradient's by the input."""
    if p["mode"] == "nearest":
        return np.zeros_like(x)
    n, c = x.shape[:2]
    g = np.asarray(g, x.dtype).reshape(n, c, flat_size(grid))
    out = np.zeros((n, c, int(np.prod(x.shape[2:]))), x.dtype)
    rows, chans = np.arange(n)[:, None, None], np.arange(c)[None, :, None]
    for flat, inside, moved in _along_tangent(x, grid, p, t):
        part = (g * np.where(inside, moved, 0)[:, None, :]).astype(x.dtype)
        np.add.at(out, (rows, chans, flat[:, None, :]), part)
    return out.reshape(x.shape)


def _mixed_second(g, x, grid, p, t):
    """The grid gradient's change as the grid moves along t: the
    interpolation's second derivatives (a corner's weight is linear along
    each axis, so only the mixed ones, by two axes, are not 0) along t,
    times g summed over the channels. Symmetric: its own VJP."""
    if p["mode"] == "nearest":
        return np.zeros_like(grid)
    n, c = x.shape[:2]
    k = x.ndim - 2
    g = np.asarray(g, x.dtype).reshape(n, c, flat_size(grid))
    tk = _points(np.asarray(t, x.dtype))
    positions = _positions(x, grid, p)
    derivs = [d for _, d in positions]
    _, sides = _sides([pos for pos, _ in positions])
    out = np.zeros(_points(grid).shape, x.dtype)
    for (flat, inside, _, _), (bits, ws) in zip(_corners(x, grid, p), sides):
        seen = (_gather(x, flat, inside) * g).sum(axis=1)     # (over the channels)
        signs = [1 if b else -1 for b in bits]
        for b in range(k):
            for a in range(k):
                if a == b:
                    continue
                rest = [ws[j] for j in range(k) if j not in (a, b)]
                mixed = signs[a] * signs[b] * (rest[0] if rest else 1)
                out[..., k - 1 - b] += seen * mixed * tk[..., k - 1 - a] * derivs[a] * derivs[b]
    return out.reshape(grid.shape)


def _sampler_backward_vjp_x(gg, ans, xs, p):
    """The grid gradient's (linear in the input); the input gradient does
    not depend on the input: undefined."""
    g, x, grid = xs
    return None if p["output"] == "input" else _weights_moved(g, x, grid, _sampler(p), gg)


def _sampler_backward_vjp_grid(gg, ans, xs, p):
    """The input gradient's: the grid gradient of sampling gg, given g;
    the grid gradient's: its second derivatives along gg."""
    g, x, grid = xs
    if p["output"] == "input":
        return _grid_sample_grid_vjp(g, None, [np.asarray(gg, x.dtype), grid], _sampler(p))
    return _mixed_second(g, x, grid, _sampler(p), gg)


def _sampler_backward_jvp_x(t, ans, xs, p):
    g, _, grid = xs
    if p["output"] == "input":
        return np.zeros(ans.shape, ans.dtype)
    return _grid_sample_grid_vjp(g, None, [np.asarray(t, ans.dtype), grid], _sampler(p))


def _sampler_backward_jvp_grid(t, ans, xs, p):
    g, x, grid = xs
    if p["output"] == "input":
        return _weights_moved(g, x, grid, _sampler(p), t)
    return _mixed_second(g, x, grid, _sampler(p), t)


def _sampler_backward_grad_fn(t) -> str:
    return "GridSampler2DBackwardBackward0" if t.args[1].data.ndim == 4 else \
        "GridSampler3DBackwardBackward0"


defop("grid_sampler_backward", _sampler_backward_grad_fn, _sampler_backward,
      vjp=(_sampler_backward_vjp_g, _sampler_backward_vjp_x, _sampler_backward_vjp_grid),
      jvp=(lambda t, ans, xs, p: _sampler_backward([t, xs[1], xs[2]], p),
           _sampler_backward_jvp_x, _sampler_backward_jvp_grid),
      saved=("12", "02", "012"),
      formula=("d grid_sampler_backward(g, input, grid)/dg = the sampling of the incoming "
               "gradient (the input's), or the grid's JVP along it (the grid's)",
               "d/dinput = for the grid's gradient, g times how each corner's weight "
               "moves along the incoming gradient",
               "d/dgrid = the grid gradient of sampling the incoming gradient (the input's), "
               "or the interpolation's mixed second derivatives along it (the grid's)"),
      symbol="grid_sampler_backward", dtype_rule=SAME)
