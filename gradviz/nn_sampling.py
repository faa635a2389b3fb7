"""torch.nn.functional's sampling layers of spatial transformer networks:
F.affine_grid (a grid of sampling positions from a batch of affine
matrices) and F.grid_sample (the input read at those positions), with
torch.affine_grid_generator, torch.grid_sampler, grid_sampler_2d and
grid_sampler_3d under them; PyTorch's checks in the order of its Python and
ATen. The ops are in ops/grid_sample.py."""
from __future__ import annotations

from . import functions as F
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .autodiff import _size_str
from .ops import OPS

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners="
                  "False since 1.3.0. Please specify align_corners=True if the old behavior is "
                  "desired. See the documentation of grid_sample for details.")
_ALIGN_HINT = "pass align_corners=False (or True) to say which grid convention you mean"


def _align(rt, t, align_corners) -> bool:
    """align_corners, False when left out (with PyTorch's warning)."""
    if align_corners is None:
        F.warn_once(rt, t, _ALIGN_WARNING)
        return False
    return bool(align_corners)


# ---- grid_sample ----------------------------------------------------------------

def f_grid_sample(rt, input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """F.grid_sample: input (N, C, H, W) or (N, C, D, H, W) read at grid's
    positions (N, H_out, W_out, 2), each in [-1, 1] across the input; one
    GridSampler2DBackward0 (3D) node, differentiable in input and grid."""
    if mode not in _MODES:
        raise GradvizError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                           f"'nearest' or 'bicubic', but got: '{mode}'", kind=VALUE,
                           hint="mode is 'bilinear', 'nearest' or 'bicubic'")
    if padding_mode not in _PADDINGS:
        raise GradvizError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                           f"'border', or 'reflection', but got: '{padding_mode}'", kind=VALUE,
                           hint="padding_mode is 'zeros', 'border' or 'reflection'")
    # (PyTorch warns before its C++ op refuses a non-tensor: gradviz needs the tensor)
    align = _align(rt, F._need_tensor(input, "grid_sampler"), align_corners)
    return _grid_sampler(rt, "grid_sampler", input, grid, _MODES.index(mode),
                         _PADDINGS.index(padding_mode), align)


def _check_shapes(fname: str, x, g) -> None:
    """check_grid_sampler_common: the sizes of input and grid that fit."""
    xs, gs = list(x.shape), list(g.shape)
    if x.dtype != g.dtype:
        raise GradvizError(f"expected scalar type {F.type_word(x.dtype)} but found "
                           f"{F.type_word(g.dtype)}", kind=RUNTIME,
                           hint="give input and grid one dtype: grid.to(input.dtype)")
    if x.ndim != g.ndim or xs[0] != gs[0]:
        raise GradvizError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {xs} and grid with sizes {gs}",
                           kind=RUNTIME, hint="the grid is (N, H_out, W_out, 2) for an input "
                                              "(N, C, H, W)")
    if gs[-1] != x.ndim - 2:
        raise GradvizError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last "
                           f"dimension, but got grid with sizes {gs}", kind=RUNTIME,
                           hint="each grid point is (x, y) for a 4-d input, (x, y, z) for 5-d")
    for i in range(2, x.ndim):
        if xs[i] == 0:
            raise GradvizError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {xs} with dimension {i} being "
                               f"empty", kind=RUNTIME, hint="the input's spatial sizes are >= 1")


def _grid_sampler(rt, fname: str, input, grid, mode: int, padding: int, align: bool):
    input = F._need_tensor(input, fname)
    grid = F._need_tensor(grid, fname, 2, "grid")
    x, g = input.data, grid.data
    if x.ndim not in (4, 5):
        raise GradvizError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(x.shape)} and grid "
                           f"with sizes {list(g.shape)}", kind=RUNTIME,
                           hint="the input is (N, C, H, W) or (N, C, D, H, W)")
    _check_shapes(fname, x, g)
    if mode == 2 and x.ndim == 5:
        raise GradvizError("grid_sampler(): bicubic interpolation only supports 4D input",
                           kind=RUNTIME, hint="sample a 5-d input with mode='bilinear' or "
                                              "'nearest'")
    if x.dtype.kind != "f":
        raise GradvizError(f"\"grid_sampler_{x.ndim - 2}d_cpu_kernel_impl\" not implemented for "
                           f"'{F.type_word(x.dtype)}'", kind="NotImplementedError",
                           hint="sample a float tensor: x.float()")
    rt.tape.check_shape(x.shape[:2] + g.shape[1:-1], "result")
    return rt.apply(OPS["grid_sampler"], (input, grid),
                    {"mode": _MODES[mode], "padding": _PADDINGS[padding], "align_corners": align})


def _enum(fname: str, name: str, pos: int, v, choices) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise GradvizError(f"{fname}(): argument '{name}' (position {pos}) must be int, not "
                           f"{F.arg_type_name(v)}", kind=TYPE,
                           hint=f"{name} is a number: {', '.join(f'{i} {c}' for i, c in enumerate(choices))}")
    if not 0 <= v < len(choices):
        raise GradvizError(f"{fname}(): unknown {name} {v}", kind=RUNTIME,
                           hint=f"{name} is one of {list(range(len(choices)))}")
    return v


def _torch_grid_sampler(fname: str, dims: int | None):
    """torch.grid_sampler(input, grid, interpolation_mode, padding_mode,
    align_corners), the modes as numbers (bilinear 0, nearest 1, bicubic
    2; zeros 0, border 1, reflection 2); dims: the 2d or 3d form only."""
    def f(rt, input, grid, interpolation_mode, padding_mode, align_corners):
        mode = _enum(fname, "interpolation_mode", 3, interpolation_mode, _MODES)
        padding = _enum(fname, "padding_mode", 4, padding_mode, _PADDINGS)
        x = F._need_tensor(input, fname)
        if dims is not None and x.data.ndim != dims + 2:
            raise GradvizError(f"{fname}(): expected {dims + 2}D input and grid, but got input "
                               f"with sizes {list(x.data.shape)}", kind=RUNTIME,
                               hint=f"{fname} takes a {dims + 2}-d input; torch.grid_sampler "
                                    "takes either")
        return _grid_sampler(rt, fname, input, grid, mode, padding, bool(align_corners))
    f.__name__ = fname
    return f


# ---- affine_grid ------------------------------------------------------------------

def _size_list(fname: str, size) -> tuple:
    if not isinstance(size, (list, tuple)) or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in size):
        raise GradvizError(f"{fname}(): argument 'size' (position 2) must be tuple of ints, not "
                           f"{F.arg_type_name(size)}", kind=TYPE,
                           hint="size is the output's (N, C, H, W): x.shape")
    return tuple(size)


def f_affine_grid(rt, theta, size, align_corners=None):
    """F.affine_grid: the sampling grid (N, H, W, 2) (3-d: (N, D, H, W, 3)) of
    a batch of affine matrices theta (N, 2, 3) (3-d: (N, 3, 4)) over an
    output of `size`; one AffineGridGeneratorBackward0 node."""
    theta = F._need_tensor(theta, "affine_grid", arg="theta")
    align = _align(rt, theta, align_corners)
    size = _size_list("affine_grid", size)
    th = theta.data
    if th.dtype.kind != "f":
        raise GradvizError(f"Expected theta to have floating point type, but got "
                           f"torch.{theta.dtype_name}", kind=VALUE, hint="theta.float()")
    if len(size) in (4, 5):
        k = len(size) - 2
        if th.ndim != 3 or th.shape[-2] != k or th.shape[-1] != k + 1:
            raise GradvizError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} "
                               f"for size {size}. Got {_size_str(th.shape)}.", kind=VALUE,
                               hint=f"theta is (N, {k}, {k + 1}) for a {len(size)}-d size")
    else:
        raise GradvizError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine "
                           f"transforms, respectively. Got size {size}.",
                           kind="NotImplementedError", hint="size is (N, C, H, W) or "
                                                            "(N, C, D, H, W)")
    if align and min(size[2:]) == 1:
        F.warn_once(rt, theta, "Since version 1.3.0, affine_grid behavior has changed for "
                    "unit-size grids when align_corners=True. This is not an intended use case "
                    "of affine_grid. See the documentation of affine_grid for details.")
    elif min(size) <= 0:
        raise GradvizError(f"Expected non-zero, positive output size. Got {size}", kind=VALUE,
                           hint="every size is at least 1")
    return _affine_grid_generator(rt, theta, size, align)


def _affine_grid_generator(rt, theta, size: tuple, align: bool):
    th = theta.data
    if th.shape[0] != size[0]:
        # (the C++ op's batched product of the base grid and theta)
        k = len(size) - 2
        raise GradvizError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {k + 1}] but got: [{th.shape[0]}, {k + 1}].",
                           kind=RUNTIME, hint="theta holds one matrix per batch item: size[0] "
                                              "== theta.shape[0]")
    rt.tape.check_shape((size[0], *size[2:], len(size) - 2), "result")
    return rt.apply(OPS["affine_grid_generator"], (theta,),
                    {"size": size, "align_corners": align})


def torch_affine_grid_generator(rt, theta, size, align_corners):
    """torch.affine_grid_generator(theta, size, align_corners): F.affine_grid
    without its Python checks."""
    theta = F._need_tensor(theta, "affine_grid_generator", arg="theta")
    size = _size_list("affine_grid_generator", size)
    if len(size) not in (4, 5) or theta.data.ndim != 3 or \
            theta.data.shape[1:] != (len(size) - 2, len(size) - 1):
        raise GradvizError("affine_grid_generator: theta is (N, 2, 3) for a 4-d size, "
                           "(N, 3, 4) for a 5-d one", kind=RUNTIME,
                           hint="size is (N, C, H, W) or (N, C, D, H, W)")
    return _affine_grid_generator(rt, theta, size, bool(align_corners))


FUNCTIONS = {"grid_sample": f_grid_sample, "affine_grid": f_affine_grid}
TORCH = {"grid_sampler": _torch_grid_sampler("grid_sampler", None),
         "grid_sampler_2d": _torch_grid_sampler("grid_sampler_2d", 2),
         "grid_sampler_3d": _torch_grid_sampler("grid_sampler_3d", 3),
         "affine_grid_generator": torch_affine_grid_generator}
