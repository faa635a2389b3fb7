"""torch.autograd.functional.vjp, jvp, vhp and hvp, computed as PyTorch
computes them: autograd.grad passes, the forward products (jvp, hvp) by the
double-backward trick (a backward pass from zero cotangents that require
grad, differentiated again with respect to those cotangents). So the record
shows PyTorch's passes. Each returns (the function's output, the product),
detached unless create_graph=True."""
from __future__ import annotations

from .errors import RUNTIME, GradvizError
from .jacobians import _as_tuple
from .tensor import Tensor


def fresh_leaf(rt, x: Tensor, need_graph: bool = True) -> Tensor:
    """A detached copy of x that requires grad: a transform's input, marked
    so that an outer transform does not take it for a closure's tensor its
    result keeps a graph to (func_transforms._reaches_outside)."""
    from .functions import f_detach, m_requires_grad_
    leaf = m_requires_grad_(rt, f_detach(rt, x), need_graph)
    leaf.meta = {**(leaf.meta or {}), "transform_leaf": True}
    return leaf


def _preprocess(rt, xs, create_graph: bool, need_graph: bool) -> list:
    """PyTorch's _grad_preprocess: a new tensor for each input (a view of one
    that requires grad under create_graph, else a detached copy). Python's
    `and` asks create_graph's truth: a tensor of several values is ambiguous."""
    from .functions import m_view
    return [m_view(rt, x, *x.data.shape) if rt.truth(create_graph) and x.requires_grad else
            fresh_leaf(rt, x, need_graph) for x in xs]


def _validate_v(v, other, other_tuple: bool) -> None:
    if len(v) != len(other):
        raise GradvizError(
            f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            if other_tuple else "The given v should contain a single Tensor.", kind=RUNTIME,
            hint="v needs one tensor per " + ("input" if other_tuple else "output"))
    for k, (a, b) in enumerate(zip(v, other)):
        if a.data.shape != b.data.shape:
            from .autodiff import _size_str
            raise GradvizError(
                ("Entry %d in " % k if other_tuple else "") +
                f"v has invalid size: should be {_size_str(b.data.shape)} but got "
                f"{_size_str(a.data.shape)}.", kind=RUNTIME,
                hint="v must have the shape of what it multiplies")


def _grads(rt, outs, ins, gos, create_graph: bool) -> list:
    """PyTorch's _autograd_grad: autograd.grad over the outputs that require
    grad (None for every input when none does)."""
    from .functions import f_grad
    pairs = [(o, g) for o, g in zip(outs, gos) if o is not None and o.requires_grad]
    if not pairs:
        return [None] * len(ins)
    return list(f_grad(rt, [o for o, _ in pairs], list(ins), [g for _, g in pairs],
                       create_graph=create_graph, allow_unused=True))


def _zeros_for_none(rt, grads, refs) -> list:
    from .functions import FUNCTIONS
    return [FUNCTIONS["zeros_like"](rt, r) if g is None else g for g, r in zip(grads, refs)]


def _post(rt, ts, create_graph: bool, as_tuple: bool):
    from .functions import f_detach
    ts = tuple(ts) if create_graph else tuple(f_detach(rt, t) for t in ts)
    return ts if as_tuple else ts[0]


def _call(rt, func, xs, fname: str, strict=False):
    out = rt.call_value(func, list(xs))
    checked = _as_tuple(out, "outputs of the user-provided function", fname)
    # (strict= is looked at only once the inputs and outputs are checked)
    _refuse_strict(fname, strict)
    return checked


def _refuse_strict(fname: str, strict) -> None:
    if strict:
        raise GradvizError(f"{fname}() runs here as PyTorch's default does: strict=False",
                           kind=RUNTIME, hint="leave out strict=")


ONE_INPUT = "the input to the user-provided function is a single Tensor with a single element."
ONE_OUTPUT = "the user-provided function returns a single Tensor with a single element."


def _v_or_single(rt, v, ref, ref_tuple, fname: str, create_graph: bool, only_if: str):
    """The checked v (detached copies), or Nones where PyTorch allows none:
    ref (the inputs or the outputs) one tensor of one element."""
    if v is None:
        if len(ref) != 1 or ref[0].data.size != 1:
            raise GradvizError(f"The vector v can only be None if {only_if}", kind=RUNTIME,
                               hint="pass v, shaped like the " +
                                    ("input" if only_if is ONE_INPUT else "output"))
        return [None] * len(ref)
    _, vs = _as_tuple(v, "v", fname)
    vs = _preprocess(rt, vs, create_graph, False)
    _validate_v(vs, ref, ref_tuple)
    return vs


def _with_grad(rt, body):
    """body() under torch.enable_grad(), as PyTorch runs these."""
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, True
    try:
        return body()
    finally:
        tape.grad_enabled = enabled


def vjp(rt, func, inputs, v=None, create_graph=False, strict=False):
    """v^T J: (func(inputs), the vector-Jacobian product per input)."""

    def body():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        xs = _preprocess(rt, ins, create_graph, True)
        out_tuple, outs = _call(rt, func, xs, "vjp", strict)
        vs = _v_or_single(rt, v, outs, out_tuple, "vjp", create_graph, ONE_OUTPUT)
        res = _zeros_for_none(rt, _grads(rt, outs, xs, vs, create_graph), xs)
        return _post(rt, outs, create_graph, out_tuple), _post(rt, res, create_graph, in_tuple)
    return _with_grad(rt, body)


def jvp(rt, func, inputs, v=None, create_graph=False, strict=False, keep_if=None,
        forward_mode=False):
    """J v: (func(inputs), the Jacobian-vector product per output), by the
    double-backward trick. keep_if(inputs, outputs), when given, is asked
    once func has run whether to keep the graph all the same (torch.func.jvp
    keeps it to a closure's tensor that requires grad). forward_mode
    (torch.func.jvp's): a product without a graph is pushed forward through
    the ops as PyTorch's dual tensors push it (its dtypes, its NaNs)."""
    from .functions import FUNCTIONS

    def body():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        # (forward mode's inputs require grad too: a transform inside f,
        # torch.func.grad, differentiates through them)
        xs = _preprocess(rt, ins, create_graph, True)
        vs = _v_or_single(rt, v, xs, in_tuple, "jvp", create_graph, ONE_INPUT)
        out_tuple, outs = _call(rt, func, xs, "jvp", strict)
        graph = create_graph or (keep_if is not None and keep_if(xs, outs))
        if forward_mode:
            from .forward_ad import formula_tangents, pushed_tangents
            seeds = dict(zip(xs, vs))
            # with a graph, PyTorch's JVP formulas op by op (their graph is
            # the tangent's: AddBackward0 for a product)
            found = graph and formula_tangents(
                rt, outs, seeds, [x for x, p in zip(xs, ins) if not p.requires_grad])
            if not found:
                found = pushed_tangents(rt, outs, seeds)
            res = _zeros_for_none(rt, found, outs)
            return _post(rt, outs, graph, out_tuple), _post(rt, res, graph, out_tuple)
        # torch.func.jvp's integer outputs (the indices of max(dim)) have
        # zero tangents; autograd.functional.jvp refuses them (zeros_like's error)
        live = [o for o in outs if not forward_mode or o.data.dtype.kind in "fc"]
        # the backward is linear in these: their values never matter
        zs = [FUNCTIONS["zeros_like"](rt, o, requires_grad=True) for o in live]
        grad_ins = _grads(rt, live, xs, zs, True)
        found = dict(zip(map(id, live), _grads(rt, grad_ins, zs, vs, graph)))
        res = _zeros_for_none(rt, [found.get(id(o)) for o in outs], outs)
        return _post(rt, outs, graph, out_tuple), _post(rt, res, graph, out_tuple)
    return _with_grad(rt, body)


def _second_order(rt, fname, func, inputs, v, create_graph, strict, trick: bool):
    """vhp (v^T H) or hvp (H v, trick=True: by the double-backward trick)."""
    from .functions import FUNCTIONS

    def body():
        in_tuple, ins = _as_tuple(inputs, "inputs", fname)
        xs = _preprocess(rt, ins, create_graph, True)
        vs = _v_or_single(rt, v, xs, in_tuple, fname, create_graph, ONE_INPUT)
        out_tuple, outs = _call(rt, func, xs, fname, strict)
        if out_tuple:
            raise GradvizError(f"The function given to {fname} should return a single Tensor",
                               kind=RUNTIME, hint="return one tensor: the loss")
        if outs[0].data.size != 1:
            raise GradvizError(f"The Tensor returned by the function given to {fname} should "
                               "contain a single element", kind=RUNTIME,
                               hint=f"{fname}() is for a function with one number out, "
                                    "e.g. a loss")
        jac = _grads(rt, outs, xs, [None], True)
        if trick:
            zs = [FUNCTIONS["zeros_like"](rt, x, requires_grad=True) for x in xs]
            double_back = _grads(rt, jac, xs, zs, True)
            res = _grads(rt, double_back, zs, vs, create_graph)
        else:
            res = _grads(rt, jac, xs, vs, create_graph)
        res = _zeros_for_none(rt, res, xs)
        return _post(rt, outs, create_graph, False), _post(rt, res, create_graph, in_tuple)
    return _with_grad(rt, body)


def vhp(rt, func, inputs, v=None, create_graph=False, strict=False):
    """v^T H of a function with one output element: (func(inputs), v^T H)."""
    return _second_order(rt, "vhp", func, inputs, v, create_graph, strict, trick=False)


def hvp(rt, func, inputs, v=None, create_graph=False, strict=False):
    """H v of a function with one output element: (func(inputs), H v)."""
    return _second_order(rt, "hvp", func, inputs, v, create_graph, strict, trick=True)
