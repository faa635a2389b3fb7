"""In-place shape changes: x.t_(), x.transpose_(0, 1) (swapaxes_, swapdims_),
x.squeeze_(dim or dims), x.unsqueeze_(dim), x.as_strided_(size, stride),
x.resize_(sizes) / resize_as_(y) (only of tensors that need no gradient,
as in PyTorch) and x.set_(source) (another tensor's memory and layout).

PyTorch changes the tensor's sizes and strides and leaves its memory alone:
the values are those of the view x.t() (or transpose, squeeze, unsqueeze)
would give, the version counter moves on by one, and with gradients the
tensor's grad_fn becomes the view's node under the name of its in-place
form (TBackward1, TransposeBackward1, SqueezeBackward3/4/5,
UnsqueezeBackward1, AsStridedBackward1). Here that is the view op
recorded out of place, its node taking the tensor's place for every name
that held it (as an in-place write's node does, Interpreter._take_over),
and marked "relaid": it is no view of the node before it
(tensor.is_view), but a view of whatever that node viewed. Without gradients the tensor itself takes the
view's layout.
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from . import functions as F
from . import reshape_fns, strides
from .errors import RUNTIME, GradvizError
from .ops import OPS
from .ops.windows import strided_view
from .tensor import CPP_TYPE_NAMES, is_view
from .versions import owner


def relay(rt, x, view, grad_fn: str, label: str):
    """x after an in-place shape change; view() makes the view of x with the
    new layout (and raises PyTorch's errors for its arguments)."""
    if rt.tape.grad_enabled and x.requires_grad:
        rt.inplace_check(x)        # (a leaf's error before any of the arguments')
        rt.inference_write_check(x)
        rt._check_no_grad_view(x)
        return _recorded(rt, x, view(), grad_fn)
    new = rt._with_grad_off(view)
    rt.tape.discard(new)
    rt.inference_write_check(x)
    # x's strides as the view's, kept: the op that made x no longer tells them
    x.meta = {**(x.meta or {}), "layout": strides.layout(new)}
    if x.recorded:
        # PyTorch keeps x's grad_fn, and checks the gradients sent to it
        # against the shape that node made (autodiff._to_made_shape)
        x.meta.setdefault("made_shape", x.data.shape)
    x.data = new.data              # (same memory: only the layout changes)
    rt.tape.versions.bump(x, rt.line)
    rt.log_event("inplace", x, op=label)
    return x


def _recorded(rt, x, new, grad_fn: str):
    """new, the view recorded for x's in-place shape change, becomes x for
    the program: its names, .grad, version counter and id()."""
    # the views of x's memory the program holds: PyTorch makes their grad_fn
    # again (AsStridedBackward0), as after a write; x keeps its own
    kept = (x.meta or {}).get("rebased")
    tape = rt.tape
    held = set(tape.snapshots)
    for seq in {t.seq for t in tape.before_inplace(x.data, x)} - held:
        # (no number changed: the tensors sharing x's memory are not shown as
        # "changed in place later", and a backward reads them as they are)
        tape.snapshots.pop(seq, None)
        tape.changed_at.pop(seq, None)
    if kept is None and x.meta is not None:
        x.meta.pop("rebased", None)
    m = new.meta = {k: v for k, v in (new.meta or {}).items()      # (no view written: made now)
                    if k not in ("rebased", "written_later", "written_at")}
    m["grad_fn_name"] = grad_fn
    m["relaid"] = True
    old = x.meta = dict(x.meta or {})
    if x.retains_grad or "grad_held_by" in old:
        # (PyTorch's retain_grad() stays with the node x was, unlike after a
        # write: x.grad is then that node's gradient, of the shape before)
        m["grad_held_by"] = old.get("grad_held_by", x.seq)
    if is_view(x):                 # (asked before x is replaced: a view it stays)
        old["was_view"] = True
    rt.tape.versions.replaced(x, new, rt.line)
    old["replaced_by"] = new.seq
    m["object"] = old.get("object", x)
    rt._rebind(x, new)
    return new


def _in_place_form(name: str, view_fn, grad_fn):
    """x.NAME_(...): view_fn(rt, x, ...)'s layout taken in place; grad_fn(args,
    kw) names the node."""
    def m(rt, x, *args, **kw):
        try:
            inspect.signature(view_fn).bind(rt, x, *args, **kw)
        except TypeError as exc:
            raise F.method_argument_error(name, view_fn, args, kw, exc) from None
        return relay(rt, x, lambda: view_fn(rt, x, *args, **kw), grad_fn(args, kw), name)
    m.__name__ = name
    return m


def _t(rt, x):
    if x.data.ndim > 2:            # (t()'s check, under the in-place name)
        raise GradvizError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{x.data.ndim}D", hint="use transpose_(dim0, dim1)")
    return F.f_t(rt, x)


def _transpose(rt, x, dim0, dim1):
    return F.f_transpose(rt, x, dim0, dim1)


def _swapaxes(rt, x, axis0, axis1):
    return F.f_transpose(rt, x, axis0, axis1)


def _as_strided(rt, x, size, stride, storage_offset=None):
    return reshape_fns.f_as_strided(rt, x, size, stride, storage_offset)


def _squeeze_grad_fn(args, kw) -> str:
    dim = args[0] if args else kw.get("dim")
    return "SqueezeBackward3" if dim is None else \
        "SqueezeBackward5" if isinstance(dim, (tuple, list)) else "SqueezeBackward4"


def _unsqueeze(rt, x, dim):
    return F.f_unsqueeze(rt, x, dim)


def _squeeze(rt, x, dim=None):
    return F.f_squeeze(rt, x, dim)


def m_resize_(rt, x, *size, memory_format=None):
    """x.resize_(2, 3) / x.resize_((2, 3)): x takes that shape, contiguous,
    over the elements of its memory from where it starts."""
    shape = tuple(F._sizes_given("resize_", "size", size))
    if any(n < 0 for n in shape):      # (PyTorch's words for it)
        raise GradvizError("numel: integer multiplication overflow", kind=RUNTIME,
                           hint="sizes are 0 or more")
    return _resized(rt, x, shape, "resize_")


def m_resize_as_(rt, x, the_template, memory_format=None):
    """x.resize_as_(y): x.resize_(y.shape)."""
    template = F._need_tensor(the_template, "resize_as_", 1, "the_template")
    return _resized(rt, x, template.data.shape, "resize_as_")


def _resized(rt, x, shape: tuple, label: str):
    if x.requires_grad:
        raise GradvizError("cannot resize variables that require grad", kind=RUNTIME,
                           hint="resize a tensor without gradients (x.detach()), or make a "
                                "new one: y = x.reshape(...)")
    if shape == x.data.shape:          # (PyTorch leaves x as it is, its version too)
        return x
    rt.tape.check_shape(shape)
    rt.inference_write_check(x)
    resize_memory(rt, x, shape)
    rt.tape.versions.bump(x, rt.line)
    rt.log_event("inplace", x, op=label)
    return x


def resize_memory(rt, x, shape: tuple) -> None:
    """x takes shape, contiguous, over its memory from where it starts (the
    memory grown past its end); its version counter is left to the caller."""
    offset = strides.layout(x)[1]
    rt.tape.versions.pin(x)            # (x may move to new memory below)
    x.meta = {**x.meta, "layout": (strides.contiguous_strides(shape), offset)}
    x.data = _storage_view(rt, x.data, shape)


def _storage_view(rt, a: np.ndarray, shape: tuple) -> np.ndarray:
    """The elements of a's memory from where a starts, as a contiguous array
    of shape; past the end of that memory PyTorch grows it, its new
    elements unset (zeros here): new memory, which every tensor of the old
    one moves to (PyTorch's storage object stays: a detach() or a view of
    the tensor still shares its memory)."""
    store = owner(a)
    start = strides.element_offset(a)
    n = math.prod(shape)
    flat = store.reshape(-1) if store.flags.c_contiguous else None
    if flat is not None and start + n <= flat.size:
        return flat[start:start + n].reshape(shape)
    if flat is None or store.dtype != a.dtype:
        # (memory laid out otherwise: new memory for a alone)
        grown = np.zeros(n, a.dtype)
        grown[:min(n, a.size)] = a.reshape(-1)[:n]
        return grown.reshape(shape)
    grown = np.zeros(start + n, a.dtype)
    grown[:flat.size] = flat
    _move_memory(rt, store, grown)
    return grown[start:start + n].reshape(shape)


def _move_memory(rt, store: np.ndarray, grown: np.ndarray) -> None:
    """Every tensor on store's memory now on grown's, at the same place and
    with the same strides, and its version counter kept."""
    base = store.__array_interface__["data"][0]
    for t in rt.tape.nodes:
        d = t.data
        if d is None or not np.may_share_memory(d, store):
            continue
        rt.tape.versions.pin(t)
        t.data = np.ndarray(d.shape, d.dtype, buffer=grown, strides=d.strides,
                            offset=d.__array_interface__["data"][0] - base)
        t.data.flags.writeable = d.flags.writeable


def m_set_(rt, x, source=None, storage_offset=None, size=None, stride=None):
    """x.set_(source): x takes source's memory and layout (a write into
    either is seen by the other); x.set_(source, storage_offset, size,
    stride=None): that layout of source's memory, counted from its start;
    x.set_(): x empty, on memory of its own. With gradients PyTorch records
    it with no derivative (grad_fn NotImplemented, whose backward is an
    error): its edges go to x before and, for set_(source), to source (the
    forms with a storage offset take source's storage, which has none)."""
    if source is not None and not F.is_tensor(source):
        raise F.invalid_combination("set_", [source], hint="x.set_(t): a tensor whose memory "
                                                           "x takes")
    if source is not None and source.data.dtype != x.data.dtype:
        raise GradvizError(f"Could not set tensor of type {CPP_TYPE_NAMES[source.data.dtype]} to "
                           f"a tensor of type {CPP_TYPE_NAMES[x.data.dtype]}", kind=RUNTIME,
                           hint="x.set_(t) takes a tensor of x's dtype")
    edges = (x,) if source is None or storage_offset is not None or size is not None \
        else (x, source)
    if rt.tape.grad_enabled and any(t.requires_grad for t in edges):
        rt.inplace_check(x)
        if is_view(x):
            raise GradvizError("gradviz does not model set_() with gradients of a view (PyTorch "
                               "records it as a write into the view's base)", kind=RUNTIME,
                               hint="set_() a clone() of the view, or under torch.no_grad()")
        rt.inference_write_check(x)
        return _set_recorded(rt, x, edges, *_set_memory(x, source, storage_offset, size, stride))
    rt.inference_write_check(x)
    data, layout = _set_memory(x, source, storage_offset, size, stride)
    rt.tape.versions.pin(x)            # (x keeps its counter on its new memory)
    x.meta = {**(x.meta or {}), "layout": layout}
    x.data = data
    rt.tape.versions.bump(x, rt.line)
    rt.log_event("inplace", x, op="set_")
    return x


def _set_recorded(rt, x, edges: tuple, data: np.ndarray, layout: tuple):
    """x.set_() with gradients: its node (no derivative) on the new memory
    becomes x for the program (names, id(), retain_grad()), with x's own
    version counter, one write further (the new memory's counter is left
    alone: PyTorch's tensor keeps its counter)."""
    versions = rt.tape.versions
    versions.pin(x)
    new = rt.apply(OPS["set_"], edges, {"memory": data})
    new.data = data
    new.meta = {**(new.meta or {}), "layout": layout, "version_key": x.meta["version_key"],
                "object": x.meta.get("object", x)}
    if x.retains_grad:             # (retain_grad() follows the tensor to its new node)
        new.retains_grad, x.retains_grad = True, False
    versions.replaced(x, new, rt.line)
    x.meta["replaced_by"] = new.seq
    rt.log_event("inplace", new, op="set_")
    rt._rebind(x, new)
    return new


def _set_memory(x, source, storage_offset, size, stride) -> tuple:
    """(x's new array, its layout (strides, offset) in elements) for set_."""
    if source is None:
        return np.empty((0,), x.data.dtype), ((1,), 0)
    if storage_offset is None and size is None:
        return source.data.view(), strides.layout(source)
    size = tuple(source.data.shape if size is None else
                 reshape_fns._ints(size, "set_", "size", 3, single=False))
    given = () if stride is None else \
        tuple(reshape_fns._ints(stride, "set_", "stride", 4, single=False))
    stride = given or strides.contiguous_strides(size)
    offset = reshape_fns._int(storage_offset or 0, "set_", "storage_offset", 2)
    src_strides, src_offset = strides.layout(source)
    storage = reshape_fns._storage_size(source, src_strides, src_offset)
    reshape_fns._check_layout(size, stride, offset, storage, x.data.itemsize, shown=given)
    view = strided_view(source.data, size, tuple(s * x.data.itemsize for s in stride),
                        offset * x.data.itemsize)
    return view, (stride, offset)


METHODS = {
    "t_": _in_place_form("t_", _t, lambda args, kw: "TBackward1"),
    **{name: _in_place_form(name, fn, lambda args, kw: "TransposeBackward1")
       for name, fn in (("transpose_", _transpose), ("swapaxes_", _swapaxes),
                        ("swapdims_", _transpose))},
    "unsqueeze_": _in_place_form("unsqueeze_", _unsqueeze, lambda args, kw: "UnsqueezeBackward1"),
    "squeeze_": _in_place_form("squeeze_", _squeeze, _squeeze_grad_fn),
    "as_strided_": _in_place_form("as_strided_", _as_strided,
                                  lambda args, kw: "AsStridedBackward1"),
    "resize_": m_resize_, "resize_as_": m_resize_as_, "set_": m_set_,
}
