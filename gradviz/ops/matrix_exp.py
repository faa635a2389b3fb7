"""torch.matrix_exp's node (LinalgMatrixExpBackward0): e^A of a (batch of)
square matrix, and its derivatives as PyTorch computes them
(linalg_matrix_exp_differential): the top-right block of the exponential of
[[A^T, G], [0, A^T]] for the gradient, of [[A, dA], [0, A]] for the tangent.

PyTorch picks, by A's 1-norm, a polynomial of degree 1, 2, 4, 8, 12 or 18
(Bader, Blanes and Casas' schemes: a few matrix products of linear
combinations of A's powers), with scaling and squaring above the last
threshold, and computes it in A's dtype: the steps are PyTorch's, in its
order, so float32 results are its to the bit (matrices of up to 8 rows,
whose products PyTorch sums term by term, in order). A batch of more than
one matrix takes degree 18 for each, as PyTorch's. A 1x1 matrix is exp of
its entry, as in PyTorch."""
from __future__ import annotations


import numpy as np

from .decomp import _t
from .registry import SAME, defop

# the norms up to which each degree (1, 2, 4, 8, 12, 18) is accurate enough, by dtype
_THETAS = {np.dtype(np.float32): (1.192092800768788e-07, 5.978858893805233e-04,
                                  5.116619363445086e-02, 5.800524627688768e-01,
                                  1.461661507209034e+00, 3.010066362817634e+00),
           np.dtype(np.float64): (2.220446049250313e-16, 2.580956802971767e-08,
                                  3.397168839976962e-04, 4.991228871115323e-02,
                                  2.996158913811580e-01, 1.090863719290036e+00)}


def _t8_coefficients(dt) -> tuple:
    """Degree 8's coefficients, as PyTorch's C++ makes them for dtype dt:
    from sqrt(177) and 2/3 held in dt, the rest in double, then kept in dt."""
    sqrt_177, x3 = float(dt.type(0.1330413469565007072504e+2)), float(dt.type(2. / 3.))
    return (x3 * ((1. + sqrt_177) / 88.), x3 * ((1. + sqrt_177) / 352.), x3,
            (-271. + 29. * sqrt_177) / (315. * x3), (-11. + 11. * sqrt_177) / (1260. * x3),
            (-99. + 11. * sqrt_177) / (5040. * x3), (89. - sqrt_177) / (5040. * x3),
            (857. - 58. * sqrt_177) / 630.)


# degree 12's and 18's: rows of the linear combinations of I, A, A^2, A^3 (A^6)
_B12 = ((9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740),
        (5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031,
         0.01108844528519167989),
        (0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968,
         0.00610700528898058230),
        (-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079,
         -0.00675951846863086359))
_B18 = ((0., -1.00365581030144618291e-01, -8.02924648241156932449e-03,
         -8.92138498045189040012e-04, 0.),
        (0., 3.97849749499645077844e-01, 1.36783778460411720168e+00,
         4.98289622525382669416e-01, -6.37898194594723280150e-04),
        (-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
         -6.98210122488052056106e-03, 3.34975017086070470649e-05),
        (-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
         2.95552570429315521194e-02, -1.39180257516060693404e-05),
        (0., 0., -9.23364619367118555360e-02, -1.69364939002081722752e-02,
         -1.40086798182036094347e-05))


def _mm(a, b):
    """a @ b as PyTorch's CPU product: a small one (up to 8 rows) summed
    term by term in order, in a's dtype; a larger one by numpy's."""
    if a.shape[-1] > 8:
        return np.matmul(a, b)
    out = np.zeros(np.broadcast_shapes(a.shape[:-1], b.shape[:-2] + (1,))[:-1]
                   + a.shape[-2:-1] + b.shape[-1:], a.dtype)
    for k in range(a.shape[-1]):
        out += a[..., :, k:k + 1] * b[..., k:k + 1, :]
    return out


def _combine(powers: list, coeffs) -> np.ndarray:
    """sum of coeffs[j] * powers[j], added one after another from zero
    (PyTorch's _compute_linear_combination), the coefficients in the dtype."""
    dt = powers[0].dtype
    out = np.zeros_like(powers[0])
    for p, c in zip(powers, coeffs):
        out += p * dt.type(c)
    return out


def _powers(a, count: int) -> list:
    """I, A, A^2, A^3, A^6: the first count of them (PyTorch's _fill_matrix_powers)."""
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
    out = [eye, a]
    if count > 2:
        out.append(_mm(a, a))
    if count > 3:
        out.append(_mm(a, out[2]))
    if count > 4:
        out.append(_mm(out[3], out[3]))
    return out[:count]


def _t1(a):
    return _combine(_powers(a, 2), (1, 1))


def _t2(a):
    i, a1, a2 = _powers(a, 3)
    return _combine([i, a1, a2 / a.dtype.type(2)], (1, 1, 1))


def _t4(a):
    powers = _powers(a, 3)
    a4 = _mm(powers[2], _combine(powers, (1 / 2.0, 1 / 6.0, 1 / 24.0)))
    return _combine(powers + [a4], (1.0, 1.0, 0.0, 1.0))


def _t8(a):
    x1, x2, x3, x4, x5, x6, x7, y2 = _t8_coefficients(a.dtype)
    powers = _powers(a, 3)
    a4 = _mm(powers[2], _combine(powers[1:], (x1, x2)))
    a8 = _mm(_combine([powers[2], a4], (x3, 1.0)), _combine(powers + [a4], (x4, x5, x6, x7)))
    return _combine(powers + [a4, a8], (1.0, 1.0, y2, 0.0, 1.0))


def _t12(a):
    b = [_combine(_powers(a, 4), row) for row in _B12]
    b[2] += _mm(b[3], b[3])                        # A^6
    b[1] += b[2]
    return b[0] + _mm(b[1], b[2])


def _t18(a):
    b = [_combine(_powers(a, 5), row) for row in _B18]
    b[3] += _mm(b[0], b[4])                        # A^9
    b[2] += b[3]
    return b[1] + _mm(b[2], b[3])


_BY_DEGREE = (_t1, _t2, _t4, _t8, _t12)


def _scaled_t18(a, norm, theta):
    """Degree 18 of a / 2^s, squared s times (s from the norm)."""
    dt = a.dtype.type
    with np.errstate(divide="ignore"):
        # (a zero matrix's log2 is -inf: ATen's max(0, ceil(...)) is 0 then)
        s = int(max(0.0, np.ceil(np.log2(dt(norm) / dt(theta)))))
    out = _t18(a / dt(2.0 ** s))
    for _ in range(s):
        out = _mm(out, out)
    return out


def expm(a: np.ndarray) -> np.ndarray:
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    if n == 1:
        return np.exp(a)
    thetas = _THETAS[a.dtype] if a.dtype in _THETAS else _THETAS[np.dtype(np.float64)]
    mats = a.reshape((-1, n, n))
    norms = np.abs(mats).sum(axis=-2).max(axis=-1)
    out = np.full_like(mats, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        for i, (m, norm) in enumerate(zip(mats, norms)):
            if len(mats) > 1 or norm >= thetas[4]:
                out[i] = _scaled_t18(m, norm, thetas[5])
                continue
            for degree, bound in enumerate(thetas[:5]):
                if norm <= bound:             # (a NaN norm is no degree's: NaN)
                    out[i] = _BY_DEGREE[degree](m)
                    break
    return out.reshape(a.shape)


def _block_exp(top_left, corner):
    """The top-right block of exp([[M, C], [0, M]])."""
    n = top_left.shape[-1]
    batch = np.broadcast_shapes(top_left.shape[:-2], corner.shape[:-2])
    meta = np.zeros(batch + (2 * n, 2 * n), top_left.dtype)
    meta[..., :n, :n] = top_left
    meta[..., n:, n:] = top_left
    meta[..., :n, n:] = corner
    return expm(meta)[..., :n, n:]


defop("matrix_exp", "LinalgMatrixExpBackward0", lambda xs, p: expm(xs[0]),
      vjp=(lambda g, ans, xs, p: _block_exp(_t(xs[0]), g),),
      jvp=(lambda t, ans, xs, p: _block_exp(xs[0], t),),
      saved=("0",), formula=("d e^A/dA: the top-right block of exp([[A^T, G], [0, A^T]])",),
      symbol="matrix_exp", dtype_rule=SAME)
