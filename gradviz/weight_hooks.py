"""torch.nn.utils.weight_norm and spectral_norm (the older API, which
PyTorch keeps beside torch.nn.utils.parametrizations): a module's weight
made from new parameters by a forward pre-hook, before every call.

    fc = nn.utils.weight_norm(nn.Linear(3, 2))     # weight = g * v / ||v||
    conv = nn.utils.spectral_norm(nn.Conv1d(2, 3, 2))

As PyTorch's, each is an object among the module's forward pre-hooks (it
takes a hook handle's id): weight_norm's replaces the parameter `weight` by
`weight_g` (the norms) and `weight_v` (the values), spectral_norm's by
`weight_orig`, with the buffers `weight_u` and `weight_v` (the power
iteration's vectors, drawn with normal_ when applied, updated in place at
each call in training mode). The module's `weight` is then a computed
tensor (WeightNormInterfaceBackward0, DivBackward0), set again by each call.

Where the parameters live: a program's Module subclass keeps them as any
other (its params, buffers, attrs). The torch.nn modules hold their weight
in a fixed slot, which then holds the computed tensor; its meta names the
hook (HOOK), which keeps the new parameters and buffers: own_state lists
them where PyTorch's _parameters and _buffers would.
"""
from __future__ import annotations

from . import classes, module_hooks
from . import functions as F
from .errors import ATTRIBUTE, RUNTIME, TYPE, VALUE, GradvizError
from .tensor import Tensor

HOOK = "weight_hook"        # a computed weight's meta key: the hook that made it
# a parameter a remove_* made again: when (its place among the hooks' parameters)
RESTORED = "restored"


class WeightHook:
    """One hook object (PyTorch's WeightNorm or SpectralNorm): the name of
    the weight it makes, its options, and, for a torch.nn module, the
    parameters and buffers it added (name -> tensor, in PyTorch's order)."""

    __slots__ = ("kind", "name", "options", "params", "buffers", "order")

    def __init__(self, kind: str, name: str, options: dict, order: int):
        self.kind, self.name, self.options, self.order = kind, name, options, order
        self.params: dict = {}
        self.buffers: dict = {}


def _is_instance(m) -> bool:
    return m.__class__ is classes.Instance


def _hooks_of(rt, m) -> dict:
    """handle id -> hook of m's forward pre-hooks that are WeightHooks."""
    entry = rt.module_hooks.get(id(m))
    if entry is None:
        return {}
    return {hid: item[0].obj for hid, item in entry["pre"].items()
            if item[0].__class__ is _bound_class() and item[0].obj.__class__ is WeightHook}


def _bound_class():
    from .interpreter import BoundMethod
    return BoundMethod


def _get(rt, m, hook: WeightHook, attr: str):
    """getattr(module, attr) as the hook reads it: a program's Module's own
    (the program may have replaced it), else what the hook keeps."""
    if _is_instance(m):
        return classes.get_attribute(rt, m, attr)
    return hook.params.get(attr, hook.buffers.get(attr))


def _set_weight(m, hook: WeightHook, value) -> None:
    """setattr(module, name, value) of the computed weight (a plain
    attribute, not a parameter); on a torch.nn module its meta names the hook."""
    if _is_instance(m):
        m.attrs[hook.name] = value
        return
    if value.__class__ is Tensor:
        value.meta = {**(value.meta or {}), HOOK: hook}
    setattr(m, hook.name, value)


def _new_parameter(rt, data, label: str) -> Tensor:
    """Parameter(t.data): a leaf sharing t's memory."""
    p = F._leaf(rt, data, True, label)
    p.meta = {**(p.meta or {}), "parameter": True}
    return p


def _take_parameter(rt, m, name: str, fn: str, keyed: bool = False) -> Tensor:
    """The parameter `name` of m, taken out of its parameters (PyTorch's
    `del module._parameters[name]`), with PyTorch's errors: weight_norm's
    getattr(module, name) first (an AttributeError), spectral_norm's
    module._parameters[name] (keyed: a KeyError)."""
    hint = f"{fn} takes the name of one of the module's parameters"
    if _is_instance(m):
        if name in m.params:
            return m.params.pop(name)
        if not keyed:
            classes.get_attribute(rt, m, name)   # (its AttributeError when there is none)
        raise GradvizError(repr(name), kind="KeyError", hint=hint)
    own = dict(own_state(m))
    if name not in own:
        if keyed:
            raise GradvizError(repr(name), kind="KeyError", hint=hint)
        raise GradvizError(f"'{m.name}' object has no attribute '{name}'", kind=ATTRIBUTE,
                           hint=f"{hint}: " + ", ".join(own))
    if not holds_tensor(m, name):
        raise GradvizError(f"{fn} of {m.name}'s '{name}' is not supported here", kind=TYPE,
                           hint="weight_norm and spectral_norm work on a module's 'weight' "
                                "and 'bias'")
    return own[name]


def holds_tensor(m, name: str) -> bool:
    """Whether `name` is one of a torch.nn module's own tensors, which a
    hook or a parametrization can make: a slot of its class (Linear's
    weight) or a recurrent layer's parameter by name (LSTM's weight_hh_l0)."""
    return hasattr(type(m), name) or name in (getattr(m, "weights", None) or ())


def _add(rt, m, hook: WeightHook, name: str, t: Tensor, buffer: bool = False) -> None:
    """module.register_parameter(name, t) (or register_buffer); named as
    the program reaches the weight it stands beside (fc.weight_g)."""
    weight = getattr(m, hook.name, None) if not _is_instance(m) else None
    if t.name is None and weight is not None and weight.__class__ is Tensor and \
            weight.name is not None and weight.name.endswith(hook.name):
        t.name = weight.name[:-len(hook.name)] + name
    if _is_instance(m):
        (m.buffers if buffer else m.params)[name] = t
        if t.name is None:
            t.name = f"self.{name}"
        return
    (hook.buffers if buffer else hook.params)[name] = t


def _register(rt, m, kind: str, name: str, options: dict, what: str) -> WeightHook:
    """A new hook of kind for m's `name`: PyTorch's error when one is on
    that name already; the hook registered as a forward pre-hook."""
    if not (_is_instance(m) and m.cls.kind == "module") and \
            getattr(m, "own_parameters", None) is None:
        raise GradvizError(f"'{rt.type_name(m)}' object has no attribute '_forward_pre_hooks'",
                           kind=ATTRIBUTE, hint=f"{what} takes a module: {what}(nn.Linear(3, 2))")
    if any(h.kind == kind and h.name == name for h in _hooks_of(rt, m).values()):
        raise GradvizError(f"Cannot register two {what} hooks on the same parameter {name}",
                           kind=RUNTIME, hint=f"apply {what} once per parameter")
    return WeightHook(kind, name, options, rt.hook_ids)


def _install(rt, m, hook: WeightHook, impl) -> None:
    """module.register_forward_pre_hook(hook): impl(rt, hook, module, args)
    before every call."""
    bound = _bound_class()(hook.kind, impl, hook)
    module_hooks.METHODS["register_forward_pre_hook"](rt, m, bound)


def _removed(rt, m, kind: str, name: str, what: str) -> WeightHook:
    """The hook of kind on m's `name`, taken off m's pre-hooks; PyTorch's
    ValueError when there is none."""
    for hid, hook in _hooks_of(rt, m).items():
        if hook.kind == kind and hook.name == name:
            del rt.module_hooks[id(m)]["pre"][hid]
            return hook
    raise GradvizError(f"{what} of '{name}' not found in {rt.str_of(m)}", kind=VALUE,
                       hint=f"remove_{what}(m, name) undoes {what}(m, name)")


def _restore(rt, m, hook: WeightHook, weight: Tensor) -> None:
    """The hook's parameters and buffers gone, `name` a parameter again."""
    if _is_instance(m):
        for k in hook_names(hook):
            m.params.pop(k, None)
            m.buffers.pop(k, None)
        m.attrs.pop(hook.name, None)
        m.params[hook.name] = weight
        return
    hook.params.clear()
    hook.buffers.clear()
    # (registered again, it comes after the module's other parameters)
    weight.meta = {**weight.meta, RESTORED: rt.hook_ids - 0.5}
    setattr(m, hook.name, weight)


def hook_names(hook: WeightHook) -> tuple:
    if hook.kind == "weight_norm":
        return (hook.name + "_g", hook.name + "_v")
    return (hook.name + "_orig", hook.name + "_u", hook.name + "_v")


# ---- weight_norm -------------------------------------------------------------------

def _norm_weight(rt, hook: WeightHook, module, args=None):
    """WeightNorm.compute_weight: _weight_norm(v, g, dim); as the hook,
    set as the module's weight."""
    from .weight_norm_fns import f_weight_norm
    g = _get(rt, module, hook, hook.name + "_g")
    v = _get(rt, module, hook, hook.name + "_v")
    w = f_weight_norm(rt, v, g, hook.options["dim"])
    if args is not None:
        _set_weight(module, hook, w)
        return None
    return w


# PyTorch's FutureWarning of the older weight_norm: given from a line of
# PyTorch's own, so Python's default filter shows it once a run, before the
# function's errors
DEPRECATED_WARNING = ("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.")


def _warn_deprecated(rt) -> None:
    if not any(ev.get("message") == DEPRECATED_WARNING for ev in rt.tape.events):
        rt.tape.events.append({"kind": "user_warning", "line": rt.line,
                               "category": "FutureWarning", "message": DEPRECATED_WARNING})


def f_weight_norm(rt, module, name="weight", dim=0):
    """nn.utils.weight_norm(module, name='weight', dim=0): returns module.
    dim None: one norm of the whole weight."""
    _warn_deprecated(rt)
    hook = _register(rt, module, "weight_norm", name, {"dim": -1 if dim is None else dim},
                     "weight_norm")
    from .weight_norm_fns import f_norm_except_dim
    weight = _take_parameter(rt, module, name, "weight_norm")
    g = rt._with_grad_off(lambda: f_norm_except_dim(rt, weight, 2, hook.options["dim"]))
    _add(rt, module, hook, name + "_g", _new_parameter(rt, g.data, "Parameter"))
    _add(rt, module, hook, name + "_v", _new_parameter(rt, weight.data, "Parameter"))
    _set_weight(module, hook, _norm_weight(rt, hook, module))
    _install(rt, module, hook, _norm_weight)
    return module


def f_remove_weight_norm(rt, module, name="weight"):
    """nn.utils.remove_weight_norm(module, name='weight'): `name` a
    parameter again, of the weight the hook computes now; returns module."""
    hook = _removed(rt, module, "weight_norm", name, "weight_norm")
    weight = rt._with_grad_off(lambda: _norm_weight(rt, hook, module))
    _restore(rt, module, hook, _new_parameter(rt, weight.data, "Parameter"))
    return module


# ---- spectral_norm -----------------------------------------------------------------

def _weight_matrix(rt, weight: Tensor, dim: int) -> Tensor:
    """SpectralNorm.reshape_weight_to_matrix: dim first, the rest flattened."""
    if dim != 0:
        rest = [d for d in range(weight.data.ndim) if d != dim]
        weight = F.METHODS["permute"](rt, weight, dim, *rest)
    return F.METHODS["reshape"](rt, weight, weight.data.shape[0], -1)


def _normalized(rt, x: Tensor, eps: float) -> Tensor:
    from .nn_functional import f_normalize
    return f_normalize(rt, x, 2.0, 0, eps)


def _power_iteration(rt, hook: WeightHook, mat: Tensor, u: Tensor, v: Tensor) -> tuple:
    """n_power_iterations steps without a gradient, written into the
    buffers u and v (normalize(..., out=)); their clones after."""
    eps = hook.options["eps"]
    mv, t = F.METHODS["mv"], F.METHODS["t"]
    for _ in range(hook.options["n_power_iterations"]):
        F.METHODS["copy_"](rt, v, _normalized(rt, mv(rt, t(rt, mat), u), eps))
        F.METHODS["copy_"](rt, u, _normalized(rt, mv(rt, mat, v), eps))
    if hook.options["n_power_iterations"] > 0:
        return F.METHODS["clone"](rt, u), F.METHODS["clone"](rt, v)
    return u, v


def _spectral_weight(rt, hook: WeightHook, module, args=None):
    """SpectralNorm.compute_weight: weight_orig / (u . W v), after a power
    iteration when the module is training; as the hook, set as the
    module's weight."""
    weight = _get(rt, module, hook, hook.name + "_orig")
    u = _get(rt, module, hook, hook.name + "_u")
    v = _get(rt, module, hook, hook.name + "_v")
    mat = _weight_matrix(rt, weight, hook.options["dim"])
    if module.training and args is not None:
        u, v = rt._with_grad_off(lambda: _power_iteration(rt, hook, mat, u, v))
    sigma = F.METHODS["dot"](rt, u, F.METHODS["mv"](rt, mat, v))
    w = rt.binary("/", weight, sigma)
    if args is not None:
        _set_weight(module, hook, w)
        return None
    return w


def f_spectral_norm(rt, module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """nn.utils.spectral_norm(module, name='weight', n_power_iterations=1,
    eps=1e-12, dim=None): returns module. dim None: 1 for the transposed
    convolutions (their weight is (in, out, ...)), else 0."""
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    hook = _register(rt, module, "spectral_norm", name,
                     {"n_power_iterations": n_power_iterations, "eps": eps, "dim": dim},
                     "spectral_norm")
    weight = _take_parameter(rt, module, name, "spectral_norm", keyed=True)

    def draw_vectors():
        mat = _weight_matrix(rt, weight, dim)
        h, w = mat.data.shape
        return tuple(_normalized(rt, F.METHODS["normal_"](rt, F.METHODS["new_empty"](
            rt, weight, n), 0, 1), eps) for n in (h, w))
    u, v = rt._with_grad_off(draw_vectors)
    _add(rt, module, hook, name + "_orig", weight)
    plain = F.f_detach(rt, weight)               # (weight.data, until the first call)
    _set_weight(module, hook, plain)
    _add(rt, module, hook, name + "_u", u, buffer=True)
    _add(rt, module, hook, name + "_v", v, buffer=True)
    _install(rt, module, hook, _spectral_weight)
    return module


def f_remove_spectral_norm(rt, module, name="weight"):
    """nn.utils.remove_spectral_norm(module, name='weight'): `name` a
    parameter again, of the weight the hook computes now (no power
    iteration); returns module."""
    hook = _removed(rt, module, "spectral_norm", name, "spectral_norm")
    weight = rt._with_grad_off(lambda: _spectral_weight(rt, hook, module))
    _restore(rt, module, hook, _new_parameter(rt, weight.data, "Parameter"))
    return module


# ---- a torch.nn module's state -----------------------------------------------------

def hooks_in(m) -> list:
    """The WeightHooks of a torch.nn module, in the order applied: found
    on the computed weights its slots hold."""
    found = {}
    for _, p in m.own_parameters():
        hook = p.meta.get(HOOK) if p.__class__ is Tensor and p.meta else None
        if hook is not None and getattr(m, hook.name, None) is p:
            found[id(hook)] = hook
    return sorted(found.values(), key=lambda h: h.order)


def own_state(m, buffers: bool = False) -> list:
    """(name, tensor) of a torch.nn module's own parameters (then its
    buffers), as PyTorch's _parameters and _buffers hold them: a weight a
    hook computes is none, the hook's parameters and buffers come last."""
    hooks = hooks_in(m)
    made = {h.name for h in hooks}
    own, late = [], []
    for k, p in m.own_parameters():
        if k in made:
            continue
        when = p.meta.get(RESTORED) if p.__class__ is Tensor and p.meta else None
        (own if when is None else late).append((when, [(k, p)]))
    late += [(h.order, list(h.params.items())) for h in hooks]
    own = [item for _, items in own + sorted(late, key=lambda e: e[0]) for item in items]
    if buffers:
        if hasattr(m, "own_buffers"):
            own += m.own_buffers()
        own += [item for h in hooks for item in h.buffers.items()]
    return own


def attribute(m, attr: str):
    """m.attr of a torch.nn module for a hook's parameter or buffer
    (m.weight_g), else None."""
    for hook in hooks_in(m):
        got = hook.params.get(attr, hook.buffers.get(attr))
        if got is not None:
            return got
    return None


FUNCTIONS = {"weight_norm": f_weight_norm, "remove_weight_norm": f_remove_weight_norm,
             "spectral_norm": f_spectral_norm, "remove_spectral_norm": f_remove_spectral_norm}
