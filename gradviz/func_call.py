"""torch.func.functional_call(module, params, args): the module run with
the given tensors in place of its parameters and buffers (by their
state_dict names), then given its own back. The given tensors are used as
they are, so gradients flow to them (per-sample gradients, ensembles)."""
from __future__ import annotations

from . import classes, modules
from .errors import RUNTIME, VALUE, GradvizError
from .tensor import Tensor


def _child(m, name: str):
    if m.__class__ is classes.Instance:
        return m.modules.get(name)
    return dict(m.children()).get(name) if hasattr(m, "children") else None


def _slot(m, dotted: str):
    """(the module holding the tensor named dotted, its attribute name), or None."""
    *path, attr = dotted.split(".")
    for name in path:
        m = _child(m, name)
        if m is None:
            return None
    if m.__class__ is classes.Instance:
        return (m, attr) if attr in m.params or attr in m.buffers else None
    names = [k for k, _ in m.own_parameters()] + \
        ([k for k, _ in m.own_buffers()] if hasattr(m, "own_buffers") else [])
    return (m, attr) if attr in names else None


def _get(m, attr):
    if m.__class__ is classes.Instance:
        return (m.params if attr in m.params else m.buffers)[attr]
    return getattr(m, attr)


def _set(m, attr, value) -> None:
    if m.__class__ is classes.Instance:
        (m.params if attr in m.params else m.buffers)[attr] = value
    else:
        setattr(m, attr, value)


def _type_name(m) -> str:
    return m.cls.name if m.__class__ is classes.Instance else type(m).__name__


def functional_call(rt, module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """module(*args, **kwargs) with the given parameters and buffers."""
    dicts = parameter_and_buffer_dicts
    hint = "pass {name: tensor}, e.g. dict(model.named_parameters())"
    if isinstance(dicts, (tuple, list)):
        if not all(isinstance(d, dict) for d in dicts):
            raise GradvizError("Expected all elements of parameter_and_buffer_dicts to be "
                               "dictionaries", kind=VALUE, hint=hint)
        merged = {}
        for d in dicts:
            merged.update(d)
        dicts = merged
    if not isinstance(dicts, dict):
        shown = "torch.Tensor" if dicts.__class__ is Tensor else rt.type_name(dicts)
        raise GradvizError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                           f"of dicts, but got <class '{shown}'>", kind=VALUE, hint=hint)
    if strict:
        own = [name for name, _ in modules.named_parameters(module, buffers=True)] \
            if module.__class__ is not classes.Instance else \
            [name for name, _ in classes.named_parameters(module, True)]
        missing = [k for k in own if k not in dicts]
        if missing:
            raise GradvizError(f"Error(s) in reparametrizing for {_type_name(module)}:\n\t"
                               "Missing key(s): " + ", ".join(repr(k) for k in missing) + ".",
                               kind=RUNTIME, hint="give every parameter and buffer, or "
                                                  "leave out strict=True")
    slots = [(s, value) for s, value in ((_slot(module, k), v) for k, v in dicts.items())
             if s is not None]        # (a name the module does not have: ignored, as PyTorch)
    saved = [(m, attr, _get(m, attr)) for (m, attr), _ in slots]
    args = [] if args is None else list(args) if isinstance(args, tuple) else [args]
    try:
        for (m, attr), value in slots:
            _set(m, attr, value)
        if module.__class__ is classes.Instance:
            return classes.call(rt, module, args, dict(kwargs or {}))
        return module.call(rt, args, dict(kwargs or {}) or None)
    finally:
        for m, attr, old in reversed(saved):
            _set(m, attr, old)


def stack_module_state(rt, models):
    """torch.func.stack_module_state(models): (params, buffers), each name's
    tensors stacked along a new first dimension (the parameters' stacks are
    new leaves that require grad, as PyTorch's)."""
    from .functions import FUNCTIONS, f_detach, m_requires_grad_
    models = list(models)
    if not models:
        raise GradvizError("stack_module_state: Expected at least one model, got 0.",
                           kind=RUNTIME, hint="pass a list of models of the same kind")
    per_model = [_named(m, False) for m in models]
    params = {}
    for name, _ in per_model[0]:
        stacked = FUNCTIONS["stack"](rt, [dict(pm)[name] for pm in per_model])
        params[name] = m_requires_grad_(rt, f_detach(rt, stacked))
    buffers = {}
    per_model_b = [[nb for nb in _named(m, True) if nb[0] not in params] for m in models]
    for name, _ in per_model_b[0]:
        buffers[name] = FUNCTIONS["stack"](rt, [dict(pb)[name] for pb in per_model_b])
    return params, buffers


def _named(m, buffers: bool) -> list:
    if m.__class__ is classes.Instance:
        return classes.named_parameters(m, buffers)
    return modules.named_parameters(m, buffers=buffers)
