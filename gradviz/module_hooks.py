"""Module forward hooks: m.register_forward_pre_hook(hook) and
m.register_forward_hook(hook), as PyTorch's Module._call_impl runs them.

A pre-hook is called as hook(module, args) before forward (args: the
positional arguments as a tuple) and may return new arguments (a tuple, or
one value); a hook is called as hook(module, args, output) after it and may
return a new output. with_kwargs=True passes the keyword arguments too
(hook(module, args, kwargs) -> None or (args, kwargs); hook(module, args,
kwargs, output)); prepend=True runs a hook before the others. Each
registration returns a handle whose remove() takes the hook out.

The usual use: keep a layer's activations for a look (`acts[name] =
out.detach()`), or print shapes as data flows. Backward hooks on modules
(register_full_backward_hook) put BackwardHookFunction nodes into PyTorch's
graph; they are refused with a pointer to a tensor's register_hook.

The hooks of a run live on its interpreter (rt.module_hooks: id(module) ->
its hooks, the module kept alive with them; rt.hook_ids counts the handles,
as PyTorch's RemovableHandle.next_id); a module without hooks pays one dict
lookup per call.
"""
from __future__ import annotations

from .errors import RUNTIME, TYPE, GradvizError


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle: remove() takes the hook out."""

    __slots__ = ("id", "table")

    def __init__(self, hid: int, table: dict):
        self.id, self.table = hid, table

    def remove(self) -> None:
        self.table.pop(self.id, None)


def _hooks(rt, module) -> dict:
    entry = rt.module_hooks.get(id(module))
    if entry is None:
        entry = rt.module_hooks[id(module)] = {"module": module, "pre": {}, "post": {}}
    return entry


def _register(kind: str):
    def register(rt, module, hook, *, prepend=False, with_kwargs=False, always_call=False):
        from .functions import f_callable
        if not f_callable(rt, hook):
            raise GradvizError(f"'{rt.type_name(hook)}' object is not callable", kind=TYPE,
                               hint="register a function: def hook(module, args, output): ...")
        hid = rt.hook_ids
        rt.hook_ids += 1
        hooks = _hooks(rt, module)[kind]
        item = (hook, bool(with_kwargs))
        if prepend:
            rest = dict(hooks)
            hooks.clear()
            hooks[hid] = item
            hooks.update(rest)
        else:
            hooks[hid] = item
        return RemovableHandle(hid, hooks)
    register.__name__ = f"register_forward_{'pre_' if kind == 'pre' else ''}hook"
    return register


def _refuse_backward(name: str):
    def refuse(rt, module, *args, **kwargs):
        raise GradvizError(f"{name}() is not supported here", kind=RUNTIME,
                           hint="hook the gradient of the module's output instead: "
                                "out = module(x); out.register_hook(lambda g: print(g))")
    refuse.__name__ = name
    return refuse


METHODS = {"register_forward_pre_hook": _register("pre"),
           "register_forward_hook": _register("post"),
           **{name: _refuse_backward(name) for name in (
               "register_full_backward_hook", "register_backward_hook",
               "register_full_backward_pre_hook")}}


def call(rt, module, args: list, kwargs: dict | None, run):
    """module(*args, **kwargs) with its hooks: run(args, kwargs) is its forward."""
    entry = rt.module_hooks.get(id(module)) if rt.module_hooks else None
    if entry is None or not (entry["pre"] or entry["post"]):
        return run(args, kwargs)
    args, kwargs = tuple(args), dict(kwargs or {})
    for hook, with_kwargs in list(entry["pre"].values()):
        if with_kwargs:
            got = rt.call_value(hook, [module, args, kwargs])
            if got is not None:
                if not (isinstance(got, tuple) and len(got) == 2):
                    raise GradvizError("forward pre-hook must return None or a tuple of "
                                       f"(new_args, new_kwargs), but got {rt.str_of(got)}.",
                                       kind=RUNTIME, hint="return (args, kwargs), or None")
                args, kwargs = tuple(got[0]), dict(got[1])
        else:
            got = rt.call_value(hook, [module, args])
            if got is not None:
                args = got if isinstance(got, tuple) else (got,)
    result = run(list(args), kwargs)
    for hook, with_kwargs in list(entry["post"].values()):
        got = rt.call_value(hook, [module, args, kwargs, result] if with_kwargs
                            else [module, args, result])
        if got is not None:
            result = got
    return result
