"""torch.nn.utils.parametrize and parametrizations.weight_norm: a torch.nn
layer's tensor made, at every read, by modules applied to originals.

    m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    # m.parametrizations.weight.original0 (the norms), .original1 (the values)
    nn.utils.parametrize.register_parametrization(m, "bias", Shift())

As PyTorch's, the layer prints as ParametrizedLinear with a ModuleDict
`parametrizations` of one ParametrizationList per tensor, which holds the
originals (`original`, or `original0`, `original1`, ... where the first
parametrization's right_inverse gives several) and the parametrizations, in
order. Reading m.weight runs them; so does each call of the layer, whose
weight slot then holds the result (its meta names the ModuleDict: OWNER, how
the layer's parameters and print find it). The program's own Module
subclasses are not parametrized here.
"""
from __future__ import annotations

import numpy as np

from . import functions as F
from . import modules, module_hooks
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .tensor import Tensor
from .weight_hooks import RESTORED, _new_parameter

OWNER = "parametrizations"     # a computed tensor's meta key: its layer's ModuleDict
_PREFIX = "Parametrized"


class ParametrizationList(modules.ModuleList):
    """torch.nn.utils.parametrize.ParametrizationList: the parametrizations
    of one tensor (its modules) and the originals they start from (its own
    parameters)."""

    __slots__ = ("originals",)
    name = "ParametrizationList"
    type_name = "torch.nn.utils.parametrize.ParametrizationList"

    def __init__(self, items: list, originals: dict):
        super().__init__(items)
        self.originals = originals

    def own_parameters(self) -> list:
        return list(self.originals.items())


class WeightNorm(modules._WithoutParameters):
    """torch.nn.utils.parametrizations._WeightNorm(dim): forward(g, v) is
    torch._weight_norm(v, g, dim); right_inverse(w) = (the norms of w, w)."""

    __slots__ = ("dim", "training", "label")
    name = "_WeightNorm"
    type_name = "torch.nn.utils.parametrizations._WeightNorm"
    text = "_WeightNorm()"

    def __init__(self, dim: int):
        self.dim, self.training, self.label = dim, True, None

    def call(self, rt, args: list, kwargs: dict | None):
        from .weight_norm_fns import f_weight_norm
        g, v = args
        return f_weight_norm(rt, v, g, self.dim)

    def right_inverse(self, rt, weight: Tensor) -> tuple:
        from .weight_norm_fns import f_norm_except_dim
        return f_norm_except_dim(rt, weight, 2, self.dim), weight


class SpectralNorm(modules._WithoutParameters):
    """torch.nn.utils.parametrizations._SpectralNorm: weight / sigma, sigma
    the largest singular value of the weight as a matrix (dim first, the
    rest flattened) by power iteration; its buffers _u and _v (drawn with
    normal_, normalized, 15 steps when made) step on at each call in
    training mode. A 1-d weight is normalized instead (no buffers)."""

    __slots__ = ("dim", "n_power_iterations", "eps", "_u", "_v", "training", "label")
    ATTRIBUTES = ("_u", "_v", "dim", "n_power_iterations", "eps")
    name = "_SpectralNorm"
    type_name = "torch.nn.utils.parametrizations._SpectralNorm"
    text = "_SpectralNorm()"

    def __init__(self, rt, weight: Tensor, n_power_iterations: int, dim: int, eps: float):
        ndim = weight.data.ndim
        self.dim = dim if dim >= 0 else dim + ndim
        self.n_power_iterations, self.eps = n_power_iterations, eps
        self.training, self.label = True, None
        self._u = self._v = None
        if ndim > 1:
            rt._with_grad_off(lambda: self._start(rt, weight))

    def _start(self, rt, weight: Tensor) -> None:
        m = F.METHODS
        mat = self._matrix(rt, weight)
        self._u, self._v = (self._normalized(rt, m["normal_"](rt, m["new_empty"](rt, mat, n), 0, 1))
                          for n in mat.data.shape)
        self._power_method(rt, mat, 15)

    def own_buffers(self) -> list:
        return [] if self._u is None else [("_u", self._u), ("_v", self._v)]

    def _matrix(self, rt, weight: Tensor) -> Tensor:
        if self.dim != 0:
            rest = [d for d in range(weight.data.ndim) if d != self.dim]
            weight = F.METHODS["permute"](rt, weight, self.dim, *rest)
        return F.METHODS["flatten"](rt, weight, 1)

    def _normalized(self, rt, x: Tensor) -> Tensor:
        from .nn_functional import f_normalize
        return f_normalize(rt, x, 2.0, 0, self.eps)

    def _power_method(self, rt, mat: Tensor, steps: int) -> None:
        """u then v, written into the buffers (normalize(..., out=))."""
        m = F.METHODS
        for _ in range(steps):
            m["copy_"](rt, self._u, self._normalized(rt, m["mv"](rt, mat, self._v)))
            m["copy_"](rt, self._v, self._normalized(rt, m["mv"](rt, m["t"](rt, mat), self._u)))

    def call(self, rt, args: list, kwargs: dict | None):
        (weight,) = args
        if weight.data.ndim == 1:
            return self._normalized(rt, weight)
        m = F.METHODS
        mat = self._matrix(rt, weight)
        if self.training:
            rt._with_grad_off(lambda: self._power_method(rt, mat, self.n_power_iterations))
        u, v = m["clone"](rt, self._u), m["clone"](rt, self._v)
        sigma = m["vdot"](rt, u, m["mv"](rt, mat, v))
        return rt.binary("/", weight, sigma)


def _m(rt, name: str, *args, **kwargs):
    """x.name(*args) as a program's call makes it (its nodes, its bits)."""
    return F.METHODS[name](rt, *args, **kwargs)


def _mT(rt, x: Tensor) -> Tensor:
    """x.mT (and x.mH of a real tensor): the last two dims swapped, a view."""
    return _m(rt, "transpose", x, -2, -1)


# the maps orthogonal() takes, in the order of PyTorch's _OrthMaps enum
ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


class Orthogonal(modules._WithoutParameters):
    """torch.nn.utils.parametrizations._Orthogonal: a matrix (or a batch)
    with orthonormal columns (rows, when wide) made from the original by
    orthogonal_map, then (use_trivialization) turned by the buffer `base`,
    the orthogonalized weight the parametrization started from; the original
    starts as -I, which each map takes to I."""

    __slots__ = ("shape", "orthogonal_map", "base", "trivial", "training", "label")
    ATTRIBUTES = ("base",)
    name = "_Orthogonal"
    type_name = "torch.nn.utils.parametrizations._Orthogonal"
    text = "_Orthogonal()"

    def __init__(self, weight: Tensor, orthogonal_map: str, use_trivialization: bool):
        if weight.data.dtype.kind == "c" and orthogonal_map == "householder":
            raise GradvizError("The householder parametrization does not support complex "
                               "tensors.", kind=VALUE,
                               hint="orthogonal_map='matrix_exp' or 'cayley' for a complex "
                                    "weight")
        self.shape, self.orthogonal_map = weight.data.shape, orthogonal_map
        self.trivial = use_trivialization
        self.base = None
        self.training, self.label = True, None

    def own_buffers(self) -> list:
        return [("base", self.base)] if self.trivial else []

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = args
        n, k = x.data.shape[-2:]
        transposed = n < k
        if transposed:
            x, n, k = _mT(rt, x), k, n
        if self.orthogonal_map == "householder":
            q = self._householder(rt, x)
        else:
            q = self._skew_map(rt, x, n, k)
        if self.trivial:
            q = _m(rt, "matmul", self.base, q)
        return _mT(rt, q) if transposed else q

    def _skew_map(self, rt, x: Tensor, n: int, k: int) -> Tensor:
        """matrix_exp or the Cayley map of the skew-symmetric A made of the
        lower triangle (a tall x padded with zero columns to square); the
        first k columns."""
        x = _m(rt, "tril", x)
        if n != k:
            pad = _m(rt, "expand", _m(rt, "new_zeros", x, n, n - k), *x.data.shape[:-2], -1, -1)
            x = F.FUNCTIONS["cat"](rt, [x, pad], dim=-1)
        a = rt.binary("-", x, _mT(rt, x))
        if self.orthogonal_map == "matrix_exp":
            q = F.LINALG["matrix_exp"](rt, a)
        else:
            eye = F.f_eye(rt, n, dtype=F.DTYPE_OBJECTS[a.dtype_name])
            q = F.LINALG["solve"](rt, F.FUNCTIONS["add"](rt, eye, a, alpha=-0.5),
                                  F.FUNCTIONS["add"](rt, eye, a, alpha=0.5))
        return _m(rt, "narrow", q, -1, 0, k) if n != k else q

    def _householder(self, rt, x: Tensor) -> Tensor:
        """The product of the reflectors below the diagonal, each column's
        sign that of the diagonal (as an int: -1, 0 or 1)."""
        a = _m(rt, "tril", x, -1)
        tau = rt.binary("/", 2.0, rt.binary("+", 1.0, _m(rt, "sum", rt.binary("*", a, a), -2)))
        q = F.LINALG["householder_product"](rt, a, tau)
        signs = _m(rt, "unsqueeze", _m(rt, "int", _m(rt, "diagonal", x, 0, -2, -1)), -2)
        return rt.binary("*", q, signs)

    def right_inverse(self, rt, q: Tensor):
        """The original for the weight q (without a gradient): -I, with base
        q orthogonalized (tall: completed to square by randn columns);
        without the trivialization, householder's reflectors of q (None for
        the other maps, which cannot: the original stays)."""
        n, k = q.data.shape[-2:]
        transposed = n < k
        start = q
        if transposed:
            q, n, k = _mT(rt, q), k, n
        if not self.trivial:
            return self._reflectors(rt, q, transposed) if self.orthogonal_map == \
                "householder" else None
        if n != k:
            extra = F.FUNCTIONS["randn"](rt, *q.data.shape[:-2], n, n - k,
                                         dtype=F.DTYPE_OBJECTS[q.dtype_name])
            q = _orthogonalized(rt, F.FUNCTIONS["cat"](rt, [q, extra], dim=-1))
        elif _is_orthogonal(rt, q):
            q = _m(rt, "clone", q)
        else:
            q = _orthogonalized(rt, q)
        self.base = q
        neg_eye = F.FUNCTIONS["zeros_like"](rt, start)
        _m(rt, "fill_", _m(rt, "diagonal", neg_eye, 0, -2, -1), -1.0)
        return neg_eye

    def _reflectors(self, rt, q: Tensor, transposed: bool) -> Tensor:
        """geqrf's reflectors of q, the diagonal's signs where the original
        holds the columns' signs (flipped where tau is 0)."""
        a, tau = F.FUNCTIONS["geqrf"](rt, q)
        diag = _m(rt, "diagonal", a, 0, -2, -1)
        _m(rt, "sign_", diag)
        diag.data[tau.data == 0.0] *= -1
        return _mT(rt, a) if transposed else a


def _is_orthogonal(rt, q: Tensor) -> bool:
    """PyTorch's _is_orthogonal: q^H q within 10 n eps of I."""
    n, k = q.data.shape[-2:]
    eye = F.f_eye(rt, k, dtype=F.DTYPE_OBJECTS[q.dtype_name])
    eps = 10.0 * n * float(np.finfo(q.data.dtype).eps)
    return F.FUNCTIONS["allclose"](rt, _m(rt, "matmul", _mT(rt, q), q), eye, atol=eps)


def _orthogonalized(rt, a: Tensor) -> Tensor:
    """PyTorch's _make_orthogonal: the Q of a tall a's QR with R's diagonal
    non-negative (Q's columns times the signs of geqrf's diagonal)."""
    x, tau = F.FUNCTIONS["geqrf"](rt, a)
    q = F.LINALG["householder_product"](rt, x, tau)
    return _m(rt, "mul_", q, _m(rt, "unsqueeze", _m(rt, "sgn", _m(rt, "diagonal", x, 0, -2, -1)),
                                -2))


CLASSES = (ParametrizationList, WeightNorm, SpectralNorm, Orthogonal)


def of(m):
    """m's ModuleDict of parametrizations, or None (found on the computed
    tensors its slots hold)."""
    if m.__class__ not in modules.CLASSES or m.__class__ in CLASSES:
        return None
    for _, p in m.own_parameters():
        if p.__class__ is Tensor and p.meta and OWNER in p.meta:
            return p.meta[OWNER]
    return None


def parametrized_type(m) -> str | None:
    """type(m)'s name for a parametrized layer (the class PyTorch makes for
    it), else None."""
    return None if of(m) is None else f"torch.nn.utils.parametrize.{_PREFIX}{m.name}"


def _call(rt, p, args: list):
    """p(*args) for a parametrization: a torch.nn module or the program's."""
    if modules.is_module(p) and p.__class__ is not modules.layers.Layer and \
            p.__class__ not in modules.CLASSES:
        from . import classes
        return classes.call(rt, p, args, {})
    return module_hooks.call(rt, p, args, None, lambda a, k: p.call(rt, list(a), k))


def compute(rt, plist: ParametrizationList):
    """The tensor: the first parametrization of the originals, each next one
    of what the one before gave."""
    x = _call(rt, plist.items[0], list(plist.originals.values()))
    for p in plist.items[1:]:
        x = _call(rt, p, [x])
    return x


def refresh(rt, m) -> None:
    """Each parametrized tensor of m made again into its slot (before a
    call: the layer's forward reads its slots)."""
    md = of(m)
    if md is None:
        return
    for name, plist in zip(md.keys, md.items):
        _set(m, name, compute(rt, plist), md)


def _set(m, name: str, value, md) -> None:
    if value.__class__ is Tensor:
        value.meta = {**(value.meta or {}), OWNER: md}
    setattr(m, name, value)


def attribute(rt, m, attr: str):
    """m.parametrizations, or a parametrized tensor (made as it is read);
    None for others."""
    md = of(m)
    if md is None:
        return None
    if attr == "parametrizations":
        return md
    if attr in md.keys:
        value = compute(rt, md.items[md.keys.index(attr)])
        _set(m, attr, value, md)
        return value
    return None


def text(rt, m, md) -> str:
    """ParametrizedLinear(\\n  in_features=..., ...\\n  (parametrizations):
    ModuleDict(...)\\n), as Module.__repr__ writes a module with a child."""
    own = m.text
    extra = own[own.index("(") + 1:-1]
    child = "(parametrizations): " + modules.text_of(rt, md).replace("\n", "\n  ")
    lines = ([extra] if extra else []) + [child]
    return f"{_PREFIX}{m.name}(\n  " + "\n  ".join(lines) + "\n)"


def own_and_children(mod, own: list, children: list) -> tuple:
    """_parameter_paths' view of a parametrized layer: its parametrized
    tensors are no parameters of its own, its ModuleDict a child."""
    md = of(mod)
    if md is None:
        return own, children
    return [(k, p) for k, p in own if k not in md.keys], children + [("parametrizations", md)]


# ---- torch.nn.utils.parametrize's functions ----------------------------------------

def _need_layer(rt, module, fn: str):
    if module.__class__ not in modules.CLASSES or module.__class__ in CLASSES or \
            module.__class__ in modules.NAMED_CONTAINERS:
        raise GradvizError(f"{fn} of a {rt.type_name(module)} is not supported here",
                           kind=TYPE, hint="parametrize a torch.nn layer's tensor: "
                                           f"{fn}(nn.Linear(3, 2), 'weight', ...)")


def _first_originals(rt, module, name: str, parametrization) -> dict:
    """The originals of a tensor's first parametrization: right_inverse's
    (several: original0, original1, ...), else the parameter itself."""
    from .weight_hooks import holds_tensor, own_state
    own = dict(own_state(module))
    if name not in own or not holds_tensor(module, name):
        raise GradvizError(f"Module '{rt.str_of(module)}' does not have a parameter, a buffer, or "
                           f"a parametrized element with name '{name}'", kind=VALUE,
                           hint="parametrize one of its parameters: "
                                + ", ".join(k for k in own))
    original = own[name]
    if parametrization.__class__ is Orthogonal:
        new = rt._with_grad_off(lambda: parametrization.right_inverse(rt, original))
        if new is not None:
            # (original.set_(new): the same parameter, an optimizer's still)
            np.copyto(original.data, new.data)
        return {"original": original}
    if parametrization.__class__ is not WeightNorm:
        return {"original": original}
    g, v = rt._with_grad_off(lambda: parametrization.right_inverse(rt, original))
    return {"original0": _new_parameter(rt, g.data, "Parameter"),
            "original1": _new_parameter(rt, v.data.copy(), "Parameter")}


def f_register_parametrization(rt, module, tensor_name, parametrization, *, unsafe=False):
    """parametrize.register_parametrization(module, tensor_name,
    parametrization, unsafe=False): module's tensor made by parametrization
    at every read (a second one on the same tensor runs after the first);
    returns module."""
    _need_layer(rt, module, "register_parametrization")
    if not modules.is_module(parametrization):
        raise GradvizError(f"Expected a torch.nn.Module as parametrization, got "
                           f"{rt.type_name(parametrization)}", kind=TYPE,
                           hint="a parametrization is a Module whose forward makes the tensor")
    md = of(module)
    if md is not None and tensor_name in md.keys:
        plist = md.items[md.keys.index(tensor_name)]
        plist.items.append(parametrization)
        plist.keys.append(str(len(plist.keys)))
    else:
        originals = _first_originals(rt, module, tensor_name, parametrization)
        plist = ParametrizationList([parametrization], originals)
        if md is None:
            md = modules.ModuleDict([], [])
        md.items.append(plist)
        md.keys.append(tensor_name)
    _set(module, tensor_name, compute(rt, md.items[md.keys.index(tensor_name)]), md)
    rt.parametrized.add(id(module))
    if module.label is not None:
        modules.name_parameters(module, module.label)
    return module


def f_is_parametrized(rt, module, tensor_name=None):
    md = of(module) if module.__class__ in modules.CLASSES else None
    return md is not None and (tensor_name is None or tensor_name in md.keys)


def f_remove_parametrizations(rt, module, tensor_name, leave_parametrized=True):
    """parametrize.remove_parametrizations(module, tensor_name,
    leave_parametrized=True): tensor_name a parameter again, of its value
    now (leave_parametrized) or of its original; returns module."""
    md = of(module) if module.__class__ in modules.CLASSES else None
    if md is None or tensor_name not in md.keys:
        raise GradvizError(f"Module {rt.str_of(module)} does not have a parametrization on "
                           f"{tensor_name}", kind=VALUE,
                           hint="remove what register_parametrization added")
    at = md.keys.index(tensor_name)
    plist = md.items[at]
    originals = list(plist.originals.values())
    if leave_parametrized:
        value = rt._with_grad_off(lambda: compute(rt, plist))
        weight = _new_parameter(rt, value.data.copy(), "Parameter") if len(originals) > 1 \
            else _kept(rt, originals[0], value)
    elif len(originals) == 1:
        weight = originals[0]
    else:
        raise GradvizError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                           "that is parametrized in terms of a sequence of tensors.",
                           kind=VALUE, hint="remove it with leave_parametrized=True")
    del md.items[at], md.keys[at]
    if md.items:
        refresh(rt, module)
    # (registered again, it comes after the module's other parameters)
    weight.meta = {**(weight.meta or {}), RESTORED: rt.hook_ids - 0.5}
    setattr(module, tensor_name, weight)
    return module


def _kept(rt, original: Tensor, value: Tensor) -> Tensor:
    """original.set_(value): the same parameter, holding the value now."""
    if value.data.shape != original.data.shape or value.data.dtype != original.data.dtype:
        raise GradvizError("remove_parametrizations of a tensor whose parametrization "
                           "changes its shape or dtype is not supported here", kind=RUNTIME,
                           hint="keep the parametrized tensor's shape and dtype")
    original.data[...] = value.data
    return original


def f_weight_norm(rt, module, name="weight", dim=0):
    """nn.utils.parametrizations.weight_norm(module, name='weight', dim=0):
    the tensor as g v / ||v||, from original0 (g) and original1 (v); dim
    None: one norm of the whole tensor."""
    return f_register_parametrization(rt, module, name, WeightNorm(-1 if dim is None else dim),
                                      unsafe=True)


def f_spectral_norm(rt, module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """nn.utils.parametrizations.spectral_norm(module, name='weight',
    n_power_iterations=1, eps=1e-12, dim=None): the tensor over its largest
    singular value; dim None: 1 for the transposed convolutions, else 0."""
    from .weight_hooks import own_state
    _need_layer(rt, module, "spectral_norm")
    weight = dict(own_state(module)).get(name)
    if weight is None:
        raise GradvizError(f"Module '{rt.str_of(module)}' has no parameter or buffer with name "
                           f"'{name}'", kind=VALUE,
                           hint="spectral_norm takes the name of one of its parameters")
    if dim is None:
        dim = 1 if module.name.startswith("ConvTranspose") else 0
    return f_register_parametrization(rt, module, name,
                                      SpectralNorm(rt, weight, n_power_iterations, dim, eps))


def f_orthogonal(rt, module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """nn.utils.parametrizations.orthogonal(module, name='weight',
    orthogonal_map=None, *, use_trivialization=True): the tensor (a matrix
    or a batch) with orthonormal columns, or rows when wide; the map by
    default matrix_exp for a square or complex one, else householder."""
    _need_layer(rt, module, "orthogonal")
    weight = attribute(rt, module, name) or module_tensor(module, name)
    if weight.__class__ is not Tensor:
        raise GradvizError(f"Module '{rt.str_of(module)}' has no parameter or buffer with name "
                           f"'{name}'", kind=VALUE,
                           hint="orthogonal takes the name of one of its parameters")
    if weight.data.ndim < 2:
        raise GradvizError(f"Expected a matrix or batch of matrices. Got a tensor of "
                           f"{weight.data.ndim} dimensions.", kind=VALUE,
                           hint="orthogonal works on a weight of two or more dims")
    if orthogonal_map is None:
        square = weight.data.shape[-2] == weight.data.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.data.dtype.kind == "c" \
            else "householder"
    if orthogonal_map not in ORTHOGONAL_MAPS:
        raise GradvizError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                           f'"householder". Got: {rt.str_of(orthogonal_map)}', kind=VALUE,
                           hint="leave it out for the default")
    orth = Orthogonal(weight, orthogonal_map, bool(use_trivialization))
    return f_register_parametrization(rt, module, name, orth, unsafe=True)


def module_tensor(module, name: str):
    """getattr(module, name, None) of a torch.nn layer's own tensor."""
    from .weight_hooks import own_state
    return dict(own_state(module, buffers=True)).get(name)


FUNCTIONS = {"register_parametrization": f_register_parametrization,
             "is_parametrized": f_is_parametrized,
             "remove_parametrizations": f_remove_parametrizations}
PARAMETRIZATIONS = {"weight_norm": f_weight_norm, "spectral_norm": f_spectral_norm,
                    "orthogonal": f_orthogonal}
