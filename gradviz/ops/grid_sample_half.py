"""F.grid_sample on float16 (4-d input, bilinear or nearest), as PyTorch's
vectorized CPU kernel computes it: every step a float16 operation (each
rounded to float16, as its float16 vectors compute), the output channel by
channel; the input's gradient added into it one term at a time in the
kernel's order (LANES points at a time); the grid's accumulated over the
channels. half.py routes grid_sampler's float16 nodes here."""
from __future__ import annotations

import numpy as np

H = np.float16
# the points the vectorized kernel takes at once (float16 in 256-bit registers)
LANES = 16


def _unnormalize(coord, size: int, align: bool):
    """The position a coordinate in [-1, 1] samples, and d position /
    d coordinate."""
    if align:
        return ((coord + H(1)) / H(2)) * H(size - 1), H(size - 1) / H(2)
    return ((coord + H(1)) * H(size) - H(1)) / H(2), H(size) / H(2)


def _clip(pos, size: int):
    """clip_coordinates_set_grad: into [0, size - 1], slope 0 where clipped."""
    top = H(size - 1)
    out = np.minimum(top, np.maximum(pos, H(0)))
    return out, np.where((pos <= 0) | (pos >= top), H(0), H(1))


def _reflect(pos, twice_low: int, twice_high: int):
    """reflect_coordinates_set_grad: folded into [low, high], the slope's sign."""
    if twice_low == twice_high:
        return np.zeros_like(pos), np.zeros_like(pos)
    low = H(twice_low) / H(2)
    span = H(twice_high - twice_low) / H(2)
    pos = pos - low
    sign = np.where(pos < 0, H(-1), H(1))
    pos = np.abs(pos)
    extra = np.fmod(pos.astype(np.float32), np.float32(span)).astype(H)
    even = np.floor(pos / span).astype(np.int64) % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _source(coord, size: int, p):
    """grid_sampler_compute_source_index_set_grad, in float16."""
    pos, mult = _unnormalize(coord, size, p["align_corners"])
    mult = np.full(pos.shape, mult, H)
    if p["padding"] == "border":
        pos, d = _clip(pos, size)
        return pos, mult * d
    if p["padding"] == "reflection":
        twice = (0, 2 * (size - 1)) if p["align_corners"] else (-1, 2 * size - 1)
        pos, d_reflect = _reflect(pos, *twice)
        pos, d_clip = _clip(pos, size)
        return pos, mult * d_reflect * d_clip
    return pos, mult


def _cells(x, grid, p):
    """Per output point (N, P): the positions along x and y with their
    slopes, and the four corners (nw, ne, sw, se) as (row, column, weight)."""
    ih, iw = x.shape[2:]
    pts = grid.reshape(grid.shape[0], -1, 2)
    ix, mx = _source(pts[..., 0], iw, p)
    iy, my = _source(pts[..., 1], ih, p)
    if p["mode"] == "nearest":
        near = (np.rint(iy.astype(np.float32)).astype(np.int64),
                np.rint(ix.astype(np.float32)).astype(np.int64), None)
        return (ix, mx), (iy, my), [near]
    x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
    x1, y1 = x0 + 1, y0 + 1
    hx0, hy0, hx1, hy1 = (a.astype(H) for a in (x0, y0, x1, y1))
    corners = [(y0, x0, (hx1 - ix) * (hy1 - iy)), (y0, x1, (ix - hx0) * (hy1 - iy)),
               (y1, x0, (hx1 - ix) * (iy - hy0)), (y1, x1, (ix - hx0) * (iy - hy0))]
    return (ix, mx), (iy, my), corners


def _inside(rows, cols, x):
    ih, iw = x.shape[2:]
    return (rows >= 0) & (rows < ih) & (cols >= 0) & (cols < iw)


def _values(x, rows, cols, c: int):
    """x[n, c, row, col] per point (N, P); 0 outside."""
    ih, iw = x.shape[2:]
    n = np.arange(x.shape[0])[:, None]
    inside = _inside(rows, cols, x)
    vals = x[n, c, np.clip(rows, 0, ih - 1), np.clip(cols, 0, iw - 1)]
    return np.where(inside, vals, H(0)), inside


def forward(x, grid, p):
    """The output: per channel, the corners' values times their weights
    added in turn (each product and sum rounded)."""
    _, _, corners = _cells(x, grid, p)
    n, c = x.shape[:2]
    out = np.zeros((n, c, corners[0][0].shape[1]), H)
    for ch in range(c):
        res = np.zeros(corners[0][0].shape, H)
        for rows, cols, weight in corners:
            vals, inside = _values(x, rows, cols, ch)
            res = np.where(inside, res + vals * (H(1) if weight is None else weight), res)
        out[:, ch] = res
    return out.reshape(x.shape[:2] + grid.shape[1:3])


def input_vjp(g, x, grid, p):
    """mask_scatter_add's: the output's gradient times each corner's weight,
    added into the input's gradient term by term in the kernel's order:
    per batch, per run of LANES output points, per channel, per corner,
    point by point."""
    _, _, corners = _cells(x, grid, p)
    n, c, ih, iw = x.shape
    points = corners[0][0].shape[1]
    g = g.astype(H).reshape(n, c, points)
    flats, terms = [], []
    for rows, cols, weight in corners:
        base = (np.arange(n)[:, None, None] * c + np.arange(c)[None, :, None]) * (ih * iw)
        flat = base + (np.clip(rows, 0, ih - 1) * iw + np.clip(cols, 0, iw - 1))[:, None, :]
        flats.append(np.where(_inside(rows, cols, x)[:, None, :], flat, -1))
        terms.append(g if weight is None else g * weight[:, None, :])
    # (N, C, corner, P) in the kernel's order: the points in runs of LANES
    runs = -(-points // LANES)
    pad = runs * LANES - points

    def ordered(parts, fill):
        a = np.pad(np.stack(parts, axis=2), ((0, 0), (0, 0), (0, 0), (0, pad)),
                   constant_values=fill)
        a = a.reshape(n, c, len(parts), runs, LANES)
        return a.transpose(0, 3, 1, 2, 4).reshape(-1)
    flat, term = ordered(flats, -1), ordered(terms, 0)
    keep = flat >= 0
    out = np.zeros(x.size, H)
    np.add.at(out, flat[keep], term[keep])
    return out.reshape(x.shape)


def grid_vjp(g, x, grid, p):
    """The grid's gradient, over the channels in turn: the differences of
    the corners' values along each axis, weighed by the other axis's
    fractions, times the gradient; then times the positions' slopes."""
    (ix, mx), (iy, my), corners = _cells(x, grid, p)
    if p["mode"] == "nearest":
        return np.zeros(grid.shape, H)
    n, c = x.shape[:2]
    g = g.astype(H).reshape(n, c, -1)
    w = ix - np.floor(ix)
    e = H(1) - w
    s_frac = iy - np.floor(iy)
    s = H(1) - s_frac
    gx = np.zeros(ix.shape, H)
    gy = np.zeros(iy.shape, H)
    for ch in range(c):
        go = g[:, ch]
        nw, ne, sw, se = (_values(x, rows, cols, ch)[0] for rows, cols, _ in corners)
        gx = gx + ((ne - nw) * s + (se - sw) * s_frac) * go
        gy = gy + ((sw - nw) * e + (se - ne) * w) * go
    return np.stack([gx * mx, gy * my], axis=-1).reshape(grid.shape)
