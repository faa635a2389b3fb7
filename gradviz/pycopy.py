"""Python's copy module: copy.deepcopy of a model (a tutorial keeps the best
model seen: best = copy.deepcopy(model)), of a tensor, of lists and dicts of
them; copy.copy (a shallow copy) of lists, dicts and sets.

deepcopy is Python's own, over gradviz's objects: a model's containers are
copied with it, and a tensor copies itself as PyTorch's does (Tensor's
__deepcopy__ calls `leaf_copy` through the memo): a new leaf with the same
values, requires_grad and .grad (a parameter stays one, without its .grad,
as PyTorch's Parameter copies itself); a tensor reached twice is copied once (the memo), so a model
whose layers share a weight keeps sharing it. What the program's values name
but do not own (its classes and functions, torch's functions, the ops)
are not copied (their __deepcopy__ gives themselves)."""
from __future__ import annotations

import copy

from . import module_hooks, parametrize
from .parametrize import OWNER
from .errors import RUNTIME, TYPE, GradvizError
from .tensor import DEEPCOPY

_NOT_LEAF = ("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
             "protocol at the moment.  If you were attempting to deepcopy a module, this may "
             "be because of a torch.nn.utils.weight_norm usage, see "
             "https://github.com/pytorch/pytorch/pull/103001")
_SHALLOW = (list, dict, set)


def leaf_copy(rt, t, memo: dict):
    """A tensor's deepcopy: PyTorch's error for a result with a grad_fn; else
    a new leaf with its values and requires_grad (and .grad, or parameter
    mark). A parametrized layer's tensor (no attribute of PyTorch's layer,
    which makes it at each read) is its values, marked with the copy of its
    parametrizations."""
    from .functions import _leaf
    if t.meta and OWNER in t.meta:
        made = _leaf(rt, t.data.copy(), False, "deepcopy")
        made.meta = {**(made.meta or {}), OWNER: copy.deepcopy(t.meta[OWNER], memo)}
        return made
    if t.recorded:
        raise GradvizError(_NOT_LEAF, kind=RUNTIME,
                           hint="copy what made it, or its values: y.detach().clone()")
    new = _leaf(rt, t.data.copy(), t.requires_grad, "deepcopy")
    if t.meta and t.meta.get("parameter"):
        # (Parameter.__deepcopy__ copies the values, not the .grad)
        new.meta = {**(new.meta or {}), "parameter": True}
    elif t.grad is not None:
        new.grad = _leaf(rt, t.grad.data.copy(), False, "deepcopy")
    return new


def f_deepcopy(rt, x, memo=None):
    """copy.deepcopy(x)."""
    if memo is not None:
        raise GradvizError("copy.deepcopy(x, memo) is not supported here", kind=TYPE,
                           hint="write copy.deepcopy(x)")
    memo = {}
    memo[DEEPCOPY] = lambda t: leaf_copy(rt, t, memo)
    try:
        out = copy.deepcopy(x, memo)
    except (TypeError, copy.Error, AttributeError) as exc:
        # (an object gradviz cannot copy: Python's words would name gradviz's classes)
        raise GradvizError(f"cannot deepcopy a {rt.type_name(x)} here", kind=TYPE,
                           hint="copy.deepcopy copies models, tensors, lists and dicts of "
                                "them; model.load_state_dict(other.state_dict()) copies a "
                                "model's weights") from exc
    if rt.parametrized:        # (the copies of parametrized layers are, too)
        rt.parametrized.update(id(v) for k, v in memo.items()
                               if k in rt.parametrized and parametrize.of(v) is not None)
    if rt.module_hooks:
        # (the memo: id of each object copied -> its copy; its own entry
        # under id(memo) is the list that keeps the originals alive)
        kept = {id(o): o for o in memo.get(id(memo), ())}
        module_hooks.copy_hooks(rt, [(kept[k], v) for k, v in memo.items()
                                     if k in kept and k in rt.module_hooks])
    return out


def f_copy(rt, x):
    """copy.copy(x): a new list, dict or set of the same items; a tensor
    (PyTorch makes a new tensor object over the same storage) as itself."""
    if x.__class__ in _SHALLOW or isinstance(x, dict):
        return copy.copy(x)
    if x.__class__.__name__ == "Tensor":
        raise GradvizError("copy.copy of a tensor is not supported here", kind=TYPE,
                           hint="t.clone() copies a tensor's values (t.detach().clone() "
                                "without its graph); copy.deepcopy(t) copies a leaf")
    return x           # numbers, strings, tuples: Python's copy is the same object


def members(function) -> dict:
    return {"deepcopy": function("deepcopy", f_deepcopy), "copy": function("copy", f_copy)}


def shared(self, memo):
    """__deepcopy__ of what a copied value names but does not own: itself."""
    return self
