"""torch.func: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian and
vmap, built on gradviz's own autograd, so the record shows each transform as
the autograd.grad passes it runs.

PyTorch runs these transforms with functorch's levels; gradviz runs the same
mathematics with plain autograd: each differentiated argument becomes a new
tensor that requires grad (a detached copy, or a view of an argument that
already requires grad, so an outer transform or backward() sees through the
inner one), and the result is detached when nothing outside needs its graph
(then it prints without grad_fn, as PyTorch's does).

Differences from PyTorch, by design:
- vmap runs f once per slice and stacks the results; PyTorch batches the ops.
  The values are the same for per-sample functions (the common case); a
  result that requires grad shows StackBackward0 (PyTorch: f's last op), and
  randomness='different'/'same' are refused (the draws would differ).
- jacfwd computes its Jacobian in reverse mode when the result keeps a graph
  (the same values; without a graph, in forward mode as PyTorch's).
"""
from __future__ import annotations

import types

from . import jacobians, products
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .ops.decomp import GradModePasses
from .tensor import Tensor

RANDOM_IN_VMAP = ("vmap: called random operation while in randomness error mode. Please either "
                  "use the 'same' or 'different' randomness flags on vmap or perform the "
                  "randomness operation out of vmap")


class _State:
    """How many differentiating transforms are running (inside one, results
    keep their graph: the outer one differentiates them again), and how many
    vmaps; the tape spans the program's own functions made while the
    outermost differentiating one runs (see _run), or None."""
    depth = 0
    vmaps = 0
    own: list | None = None
    # the running differentiating transforms, innermost last: (forward
    # mode, the tape's length when it started)
    levels = []


def hidden_grad(rt, t: Tensor) -> bool:
    """Whether t requires grad here but not in PyTorch, whose transforms make
    tensors at their levels: made inside a torch.func transform while the
    innermost one running is in forward mode (jvp, jacfwd), where none
    requires grad (those of its inputs, of an outer transform's, of a
    closure's tensor that requires grad), or in reverse mode (grad, jacrev,
    vjp) from no transform's input (w * 2 of a closure's w)."""
    if not (_State.levels and t.requires_grad):
        return False
    forward, start = _State.levels[-1]
    if forward:
        return t.seq >= _State.levels[0][1]
    return t.seq >= start and not _from_transform_input(t, start)


def _from_transform_input(t: Tensor, start: int) -> bool:
    """Whether t was computed from a transform's input (or from a leaf that
    requires grad the program made since start): a walk back over the
    recorded inputs that require grad, with a stack."""
    seen, stack = set(), [t]
    while stack:
        a = stack.pop()
        if id(a) in seen:
            continue
        seen.add(id(a))
        meta = a.meta or {}
        if meta.get("transform_leaf") or meta.get("transform_input"):
            return True
        if not a.recorded:
            if a.seq >= start:
                return True
            continue
        stack.extend(b for b in a.args if b.__class__ is Tensor and b.requires_grad)
    return False


BACKWARD_INSIDE = ("backward() called inside a functorch transform. This is not supported, please "
                   "use functorch.grad or functorch.vjp instead or call backward() outside of "
                   "functorch transforms.")


def check_backward_outside() -> None:
    """PyTorch's error for x.backward() in a function torch.func transforms
    (gradviz would run it, but PyTorch's transforms cannot)."""
    if _State.depth or _State.vmaps:
        raise GradvizError(BACKWARD_INSIDE, kind=RUNTIME,
                           hint="return the loss from the function and let the transform "
                                "differentiate it: torch.func.grad(f)(x)")


def _is_tensor(v) -> bool:
    return v.__class__ is Tensor


def _leaves(v) -> list:
    """The tensors of v: a tensor, or a tuple, list or dict of them (one
    level of PyTorch's pytrees: a model's parameters as a dict)."""
    if isinstance(v, dict):
        return list(v.values())
    return list(v) if isinstance(v, (tuple, list)) else [v]


def _like(v, leaves: list):
    """leaves in v's structure (see _leaves)."""
    if isinstance(v, dict):
        return dict(zip(v.keys(), leaves))
    return type(v)(leaves) if isinstance(v, (tuple, list)) else leaves[0]


class _Text(str):
    """Literal text among the values _spec walks."""


def _flatten(v) -> list:
    """The leaves of a pytree (nested tuples, lists, dicts and named tuples
    such as torch.return_types.max), in order."""
    from .functions import ReturnTypes
    leaves, stack = [], [v]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, (tuple, list)):
            stack.extend(reversed(item))
        elif item.__class__ is ReturnTypes:
            stack.extend(reversed(item.items))
        else:
            leaves.append(item)
    return leaves


def _unflatten(v, leaves):
    """The pytree v's structure (see _flatten) holding the items of the
    iterator leaves instead of v's leaves."""
    from .functions import ReturnTypes
    if isinstance(v, dict):
        return {k: _unflatten(x, leaves) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return type(v)(_unflatten(x, leaves) for x in v)
    if v.__class__ is ReturnTypes:
        return ReturnTypes(v.kind, *(_unflatten(x, leaves) for x in v.items), fields=v.fields)
    return next(leaves)


def _spec(v) -> str:
    """A pytree's structure as PyTorch's errors print it: (*, [*]), {'a': *}."""
    parts, stack = [], [v]
    while stack:
        item = stack.pop()
        if item.__class__ is _Text:
            parts.append(item)
            continue
        if isinstance(item, dict):
            opener, closer = "{", "}"
            kids = [(_Text(f"{k!r}: "), x) for k, x in item.items()]
        elif isinstance(item, (tuple, list)):
            opener, closer = ("(", ",)" if len(item) == 1 else ")") if isinstance(item, tuple) \
                else ("[", "]")
            kids = [(None, x) for x in item]
        else:
            parts.append("*")
            continue
        parts.append(opener)
        stack.append(_Text(closer))
        for n, (key, x) in reversed(list(enumerate(kids))):
            stack.append(x)
            if key is not None:
                stack.append(key)
            if n:
                stack.append(_Text(", "))
    return "".join(parts)


def _argnums(argnums, nargs: int) -> tuple[bool, tuple]:
    """(argnums was a tuple, the argument positions), with PyTorch's errors."""
    is_tuple = isinstance(argnums, tuple)
    nums = argnums if is_tuple else (argnums,)
    if not nums:
        raise GradvizError("argnums must be non-empty", kind=RUNTIME,
                           hint="argnums=0 differentiates with respect to the first argument")
    out = []
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise GradvizError(f"argnums must be int or Tuple[int, ...], got: {type(n)}",
                               kind=RUNTIME, hint="argnums=0, or argnums=(0, 1)")
        if not -nargs <= n < nargs:
            raise GradvizError(f"Got argnum={n}, but only {nargs} positional inputs",
                               kind=RUNTIME,
                               hint=f"f was given {nargs} argument(s): argnums counts them "
                                    "from 0")
        out.append(n % nargs)
    return is_tuple, tuple(out)


def _leaf(rt, x, fname: str):
    """The differentiated copy of x: a view of x if x requires grad (so the
    graph reaches x), else a detached copy that requires grad."""
    from .functions import m_view
    _check_input(x, fname)
    if not x.requires_grad:
        return products.fresh_leaf(rt, x)
    # PyTorch wraps x at a new level, with no op of the graph between: a
    # gradient through this view passes as it is (no ViewBackward0 of it in
    # a double backward)
    view = m_view(rt, x, *x.data.shape)
    view.meta = {**(view.meta or {}), "transform_input": True}
    return view


def _check_input(x, fname: str) -> None:
    """PyTorch's error for an argument a transform cannot differentiate."""
    if not _is_tensor(x):
        raise GradvizError(f"Thing passed to transform API must be Tensor, got {type(x)}",
                           kind=VALUE, hint=f"{fname} differentiates tensors: pass "
                                            "torch.tensor(...)")


def _keep_graph(xs) -> bool:
    return _State.depth > 0 or any(_is_tensor(t) and t.requires_grad
                                   for x in xs for t in _leaves(x))


def _reaches_outside(outs, xs) -> bool:
    """Whether outs were computed from a tensor that requires grad other
    than xs (a closure's parameter): then PyTorch's result keeps its graph
    to it. A walk over the recorded inputs with a stack, stopping at xs."""
    inside = {id(x) for x in xs}
    seen = set()
    stack = [o for o in _leaves(outs) if _is_tensor(o) and o.requires_grad]
    while stack:
        t = stack.pop()
        if id(t) in inside or id(t) in seen:
            continue
        seen.add(id(t))
        if not t.recorded:
            if (t.meta or {}).get("transform_leaf"):
                continue       # an inner transform's input (its graph ends there)
            return True        # a leaf that requires grad, not one of xs
        stack.extend(a for a in t.args if a.__class__ is Tensor and a.requires_grad)
    return False


def _transform(kind: str, fn):
    """fn, a transform's result, marked as one (see _call_own)."""
    fn.transform = kind
    return fn


def _detach(rt, v, keep: bool):
    """v (a tensor, or a tuple/list of them) without its graph unless keep."""
    from .functions import f_detach
    if keep:
        return v
    if _is_tensor(v):
        return f_detach(rt, v)
    if isinstance(v, (tuple, list)):
        return type(v)(_detach(rt, t, keep) for t in v)
    if isinstance(v, dict):
        return {k: _detach(rt, t, keep) for k, t in v.items()}
    return v


def _run(rt, body, kind: str, forward: bool = False):
    """body() with grad mode on, counted as a differentiating transform
    (forward: one in forward mode). The outermost one notes on the tape
    what it made (Tape.transforms: "kind" of transform, "first" and "stop"
    seq, and the "own" spans where the program's function ran), so that a
    picture can draw the transform's own passes as one box."""
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, True
    outermost = _State.depth == 0 and _State.vmaps == 0
    if outermost:
        first, own_before = len(tape.nodes), _State.own
        _State.own = []
    _State.depth += 1
    _State.levels.append((forward, len(tape.nodes)))
    GradModePasses.depth += 1
    try:
        return body()
    finally:
        _State.depth -= 1
        _State.levels.pop()
        GradModePasses.depth -= 1
        tape.grad_enabled = enabled
        if outermost:
            tape.transforms.append({"kind": kind, "first": first, "stop": len(tape.nodes),
                                    "own": _State.own})
            _State.own = own_before


def _call_own(rt, func, args: list):
    """func(*args) for a transform: the tape span it makes is noted as the
    program's own function (see _run), unless func is another transform's
    result (hessian's jacrev, grad(grad(f))), whose own call of f notes it."""
    if _State.own is None or getattr(getattr(func, "impl", None), "transform", None) is not None:
        return rt.call_value(func, args)
    start = len(rt.tape.nodes)
    try:
        return rt.call_value(func, args)
    finally:
        _State.own.append((start, len(rt.tape.nodes)))


def _grads(rt, out, xs, grad_outputs, keep: bool) -> list:
    """autograd.grad of out w.r.t. xs, zeros where out does not reach."""
    from .functions import FUNCTIONS, f_grad
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    pairs = [(o, g) for o, g in zip(outs, grad_outputs) if o.requires_grad]
    grads = [None] * len(xs)
    if pairs:
        grads = f_grad(rt, [o for o, _ in pairs], list(xs), [g for _, g in pairs],
                       retain_graph=True, create_graph=keep, allow_unused=True)
    return [FUNCTIONS["zeros_like"](rt, x) if g is None else g for g, x in zip(grads, xs)]


def grad_and_value(rt, func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: a function giving (gradient, value)."""
    def transformed(rt, *args):
        return _grad_and_value(rt, func, argnums, has_aux, list(args), "grad_and_value")
    return transformed


def grad(rt, func, argnums=0, has_aux=False):
    """torch.func.grad: a function giving the gradient of func's scalar output."""
    def transformed(rt, *args):
        g, value = _grad_and_value(rt, func, argnums, has_aux, list(args), "grad")
        return (g, value[1]) if has_aux else g
    return transformed


def _grad_and_value(rt, func, argnums, has_aux, args, kind: str):
    from .jacobians import _type_name
    is_tuple, nums = _argnums(argnums, len(args))
    keep = _keep_graph(args)
    where = "grad_and_value(f)(*args): "

    def body():
        # the differentiated arguments' tensors, each a new leaf
        xs_per_arg = [[_leaf(rt, t, "grad") for t in _leaves(args[n])] for n in nums]
        xs = [x for per_arg in xs_per_arg for x in per_arg]
        call_args = list(args)
        for n, per_arg in zip(nums, xs_per_arg):
            call_args[n] = _like(args[n], per_arg)
        out = _call_own(rt, func, call_args)
        aux = None
        if has_aux:
            if not isinstance(out, tuple) or len(out) != 2:
                raise GradvizError(where + "output of function f should be a tuple: (output, "
                                   "aux) if has_aux is True", kind=RUNTIME,
                                   hint="return (loss, something_else) from f")
            out, aux = out
        if not _is_tensor(out):
            raise GradvizError(where + f"Expected f(*args) to return a Tensor, got "
                               f"{_type_name(out)}", kind=RUNTIME,
                               hint="f must return a tensor with one element, e.g. a loss")
        if out.data.ndim != 0:
            raise GradvizError(where + "Expected f(*args) to return a scalar Tensor, got "
                               f"tensor with {out.data.ndim} dims. Maybe you wanted to use "
                               "the vjp or jacrev APIs instead?", kind=RUNTIME,
                               hint="reduce the output to a scalar (e.g. .sum()), or use "
                                    "jacrev for a vector output")
        keep_graph = keep or _reaches_outside(out, xs)
        flat = iter(_grads(rt, out, xs, [None], keep_graph))
        gs = [_like(args[n], [next(flat) for _ in per_arg]) for n, per_arg in zip(nums, xs_per_arg)]
        g = tuple(gs) if is_tuple else gs[0]
        value = (out, aux) if has_aux else out
        return _detach(rt, g, keep_graph), _detach(rt, value, keep_graph)
    return _run(rt, body, kind)


def vjp(rt, func, *primals, has_aux=False):
    """torch.func.vjp: (func(*primals), vjp_fn); vjp_fn(cotangent) gives a
    tuple with one gradient per primal."""
    keep = _keep_graph(primals)

    def body():
        xs = [_leaf(rt, x, "vjp") for x in primals]
        out = _call_own(rt, func, list(xs))
        aux = None
        if has_aux:
            if not isinstance(out, tuple) or len(out) != 2:
                raise GradvizError("vjp(f, *primals): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True", kind=RUNTIME,
                                   hint="return (output, something_else) from f")
            out, aux = out
        _output_leaves(rt, out, "vjp(f, *primals)")
        return xs, out, aux
    xs, out, aux = _run(rt, body, "vjp")
    keep = keep or _reaches_outside(out, xs)

    def vjp_fn(rt, cotangents):
        def inner():
            if cotangents is not None and _spec(cotangents) != _spec(out):
                raise GradvizError(
                    "Expected pytree structure of cotangents to be the same as pytree structure "
                    "of outputs to the function. cotangents: " + _spec(cotangents) +
                    ", primal output: " + _spec(out), kind=RUNTIME,
                    hint="give vjp_fn one cotangent shaped as f's output: a tensor for a "
                         "tensor, a tuple for a tuple")
            outs = _flatten(out)
            cts = [None] * len(outs) if cotangents is None else _flatten(cotangents)
            # a cotangent that requires grad is differentiated through too:
            # the gradients keep their graph to it, as PyTorch's
            graph = keep or any(_is_tensor(c) and c.requires_grad for c in cts)
            return tuple(_detach(rt, _grads(rt, outs, xs, cts, graph), graph))
        return _run(rt, inner, "vjp_fn")
    from .interpreter import Function
    res = (_detach(rt, out, keep), Function("vjp_fn", vjp_fn))
    return res + (_detach(rt, aux, keep),) if has_aux else res


def jvp(rt, func, primals, tangents, *, strict=False, has_aux=False):
    """torch.func.jvp: (func(*primals), the Jacobian-vector product), pushed
    forward as PyTorch's dual tensors push it; by the double-backward trick
    (as autograd.functional.jvp) when the product keeps a graph."""
    from .interpreter import Function
    for what, v in (("primals", primals), ("tangents", tangents)):
        if not isinstance(v, tuple):
            raise GradvizError(f"jvp(f, primals, tangents): Expected {what} to be a tuple. "
                               f"E.g. it should be valid to call f(*{what}).", kind=RUNTIME,
                               hint=f"wrap the tensor in a tuple: ({what[:-1]},)")
    if _tree_spec_of(primals) != _tree_spec_of(tangents):
        raise GradvizError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure. For example, if primals is a tuple of "
                           "3 tensors, tangents also must be. Got primals with structure "
                           f"{_tree_spec_of(primals)} and tangents with structure "
                           f"{_tree_spec_of(tangents)}", kind=RUNTIME,
                           hint="give one tangent per primal, in the primals' structure")
    # a primal may be a pytree (a dict of parameters): its tensors are the
    # duals, f is called with the structure made again
    structure, primals, tangents = primals, tuple(_flatten(primals)), tuple(_flatten(tangents))
    _check_jvp_pairs(rt, primals, tangents)
    # (strict=True changes nothing in PyTorch's torch.func.jvp)
    keep = _keep_graph(primals)
    made = []       # f's output, whose structure the results take
    auxes = []      # with has_aux=True, the aux f returned beside it

    def flat(rt, *xs):
        # f's output as the tensor or tuple of tensors products.jvp takes
        out = _call_own(rt, func, list(_unflatten(structure, iter(xs))))
        if has_aux:
            out = _split_aux(rt, out, auxes, xs, "jvp(f, primals, tangents)")
        made.append(out)
        return out if _is_tensor(out) else tuple(_output_leaves(rt, out, "jvp(f, primals, tangents)"))
    f = Function("f", flat)
    outs, jvps = _run(rt, lambda: products.jvp(rt, f, primals, tangents, create_graph=keep,
                                               keep_if=lambda xs, o: _reaches_outside(o, xs),
                                               forward_mode=True), "jvp", forward=True)
    # PyTorch's forward-mode levels hand each output back through an alias
    # (grad_fn AliasBackward0) when it has a graph
    outs = tuple(_alias(rt, o) for o in outs) if isinstance(outs, tuple) else _alias(rt, outs)
    if not _is_tensor(made[0]):
        outs, jvps = _unflatten(made[0], iter(outs)), _unflatten(made[0], iter(jvps))
    if not has_aux:
        return outs, jvps
    aux = auxes[0]
    return outs, jvps, _detach(rt, aux.value, keep or _reaches_outside(aux.value, aux.xs))


def _output_leaves(rt, out, call: str) -> list:
    """The tensors of the pytree f returned to torch.func.vjp or jvp (a
    tuple, a list, a dict, a named tuple as torch.linalg.svd's), with
    PyTorch's errors (call: how they name the transform)."""
    leaves = _flatten(out)
    if out is None or not leaves:
        raise GradvizError(f"{call}: Expected f to be a function that has non-empty output "
                           # (PyTorch shows the list of the leaves)
                           f"(got output = {'[None]' if out is None else '[]'})",
                           kind=RUNTIME, hint="return a tensor from f")
    for t in leaves:
        if not _is_tensor(t):
            raise GradvizError(f"{call}: expected f(*primals) to return only tensors, got "
                               f"unsupported type <class '{rt.type_name(t)}'>", kind=RUNTIME,
                               hint="return tensors (or tuples, lists or dicts of them) from f")
    return leaves


def _tree_spec_of(v, depth: int = 1) -> str:
    """A pytree's structure as PyTorch's TreeSpec prints it:
    TreeSpec(tuple, None, [*, TreeSpec(dict, ['a'], [*])]), each item after
    the first on a line of its own, indented two spaces a level."""
    if isinstance(v, dict):
        kind, context, items = "dict", repr(list(v.keys())), list(v.values())
    elif isinstance(v, (tuple, list)):
        kind, context, items = type(v).__name__, "None", list(v)
    else:
        return "*"
    inner = (",\n" + "  " * depth).join(_tree_spec_of(x, depth + 1) for x in items)
    return f"TreeSpec({kind}, {context}, [{inner}])"


def _check_jvp_pairs(rt, primals, tangents) -> None:
    """PyTorch's checks before it makes a dual tensor of each primal and
    its tangent: all are tensors, then make_dual's (float dtypes, sizes)."""
    from .forward_ad import check_dual
    for what, v in (("primals", primals), ("tangents", tangents)):
        for t in v:
            if not _is_tensor(t):
                raise GradvizError(f"jvp(f, primals, tangents): Expected {what} to only contain "
                                   f"Tensors, got <class '{rt.type_name(t)}'>", kind=RUNTIME,
                                   hint=f"give {what} as tensors: torch.tensor(...)")
    for p, t in zip(primals, tangents):
        check_dual(p, t)


def _alias(rt, t):
    if _is_tensor(t) and t.recorded:
        return rt.index_tensor(t, [Ellipsis])
    return t


def _jacobian(rt, func, argnums, has_aux, args, fname, forward_mode=False, kind=None):
    is_tuple, nums = _argnums(argnums, len(args))
    keep = _keep_graph(args)
    for n in nums:
        for t in _leaves(args[n]) if isinstance(args[n], (dict, tuple, list)) else [args[n]]:
            _check_input(t, fname)
    # a differentiated argument may be a pytree (a model's parameters as a
    # dict): the Jacobians are then per leaf, in its structure
    pytree = not all(_is_tensor(args[n]) for n in nums)
    counts = [len(_leaves(args[n])) for n in nums]

    made = []       # f's output, when a pytree jacobian() does not take (a dict)
    tupled = []     # whether jacobian() was given a tuple of outputs

    def call(xs):
        call_args = _with_arguments(args, nums, counts, xs) if pytree else list(args)
        if not pytree:
            for n, x in zip(nums, xs):
                call_args[n] = x
        out = _call_own(rt, func, call_args)
        if has_aux:
            out = _split_aux(rt, out, made, xs, "jvp(f, primals, tangents)" if forward_mode
                             else "vjp(f, *primals)")
        tupled.append(not _is_tensor(out))
        if _is_tensor(out) or (out.__class__ is tuple and all(map(_is_tensor, out))):
            return out
        leaves = _flatten(out)
        if not leaves or not all(map(_is_tensor, leaves)):
            return out          # (jacobian()'s error)
        made.append(out)
        return tuple(leaves)
    if pytree:
        inputs = tuple(t for n in nums for t in _leaves(args[n]))
    else:
        inputs = tuple(args[n] for n in nums) if is_tuple else args[nums[0]]
    jac = _run(rt, lambda: jacobians.jacobian(rt, call, inputs, create_graph=keep,
                                              keep_if=lambda xs, o: _reaches_outside(o, xs),
                                              forward_mode=forward_mode), kind or fname,
               forward=forward_mode)
    if pytree:
        def per_argument(per_input):
            grouped = _with_arguments(args, nums, counts, per_input)
            found = [grouped[n] for n in nums]
            return tuple(found) if is_tuple else found[0]
        jac = tuple(map(per_argument, jac)) if tupled[0] else per_argument(jac)
    # the Jacobians of a pytree's leaves in its structure ({'s': ds/dx, ...})
    shape = [m for m in made if m.__class__ is not _Aux]
    if shape:
        jac = _unflatten(shape[0], iter(jac))
    if has_aux:
        aux = next(m for m in made if m.__class__ is _Aux)
        return jac, _detach(rt, aux.value, keep or _reaches_outside(aux.value, aux.xs))
    return jac


def _with_arguments(args, nums, counts, flat) -> list:
    """args with the arguments at nums made again in their structures (each
    of counts leaves) from the items of flat, in order."""
    items = iter(flat)
    out = list(args)
    for n, count in zip(nums, counts):
        out[n] = _like(args[n], [next(items) for _ in range(count)])
    return out


class _Aux:
    """The aux value f returned beside its output (has_aux=True), and the
    inputs f was called with (what its graph may reach)."""

    __slots__ = ("value", "xs")

    def __init__(self, value, xs):
        self.value, self.xs = value, xs


def _split_aux(rt, out, made: list, xs, call: str):
    """f's (output, aux) with has_aux=True: the output, aux kept in made;
    PyTorch's errors (call: how they name the transform underneath)."""
    if out.__class__ is not tuple or len(out) != 2:
        raise GradvizError(f"{call}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True", kind=RUNTIME,
                           hint="return (output, something_else) from f")
    out, aux = out
    for t in _flatten(aux):
        if not _is_tensor(t):
            raise GradvizError(f"Expected tensors, got unsupported type <class "
                               f"'{rt.type_name(t)}'>", kind=RUNTIME,
                               hint="aux holds tensors (or tuples, lists or dicts of them)")
    made.append(_Aux(aux, xs))
    return out


def jacrev(rt, func, argnums=0, *, has_aux=False, chunk_size=None):
    """torch.func.jacrev: a function giving func's Jacobian (reverse mode)."""
    return lambda rt, *args: _jacobian(rt, func, argnums, has_aux, list(args), "jacrev")


def jacfwd(rt, func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd: the Jacobian by columns, in forward mode (where the
    result keeps a graph, inside another transform or to a closure's tensor,
    by rows in reverse mode: the same values)."""
    return lambda rt, *args: _jacobian(rt, func, argnums, has_aux, list(args), "jacfwd",
                                       forward_mode=True)


def hessian(rt, func, argnums=0):
    """torch.func.hessian: jacfwd(jacrev(func, argnums), argnums)."""
    from .interpreter import Function
    inner = Function("jacrev", _transform("jacrev", jacrev(rt, func, argnums)))
    return lambda rt, *args: _jacobian(rt, inner, argnums, False, list(args), "jacfwd",
                                       forward_mode=True, kind="hessian")


class _NoRandom:
    """Stands for the generator inside vmap(randomness='error'): any draw
    raises PyTorch's error."""

    def __getattr__(self, name):
        raise GradvizError(RANDOM_IN_VMAP, kind=RUNTIME,
                           hint="draw the random numbers before vmap and pass them in")


def vmap(rt, func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.func.vmap: func over the slices of its arguments along in_dims,
    the results stacked along out_dims. gradviz runs func once per slice
    (PyTorch batches the ops; the values are the same)."""
    if randomness not in ("error", "different", "same"):
        raise GradvizError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}", kind=RUNTIME,
                           hint="randomness='error' (the default)")
    if randomness != "error":
        # (PyTorch draws once for the whole batch; gradviz's loop would draw
        # per slice: other numbers than PyTorch's)
        raise GradvizError(f"vmap(randomness={randomness!r}) is not supported here: gradviz "
                           "runs f once per slice, so its random numbers would not be "
                           "PyTorch's", kind=RUNTIME,
                           hint="draw the random numbers before vmap and pass them in, "
                                "with randomness='error' (the default)")
    name = getattr(func, "qualname", None) or getattr(func, "name", "f")

    def transformed(rt, *args):
        where = f"vmap({name}, in_dims={in_dims!r}, ...)(<inputs>): "
        dims = _in_dims(where, in_dims, args)
        size = None
        sizes = []
        for x, d in zip(args, dims):
            if d is not None:
                sizes.extend(t.data.shape[e] for t, e in zip(_leaves(x), d) if e is not None)
                size = sizes[0] if sizes else None
        if size is None:
            raise GradvizError(where + "at least one input must be batched: in_dims is None "
                               "for every input", kind=VALUE,
                               hint="give a batched input in_dims=0")
        if any(s != size for s in sizes):
            raise GradvizError("vmap: Expected all tensors to have the same size in the mapped "
                               f"dimension, got sizes {sizes} for the mapped dimension",
                               kind=VALUE, hint="the batched inputs need the same batch size")
        if size == 0:
            # (PyTorch runs f once on batched tensors; gradviz runs it per sample, and an
            # empty batch has none to learn the results' shapes from)
            raise GradvizError("vmap over a batch of size 0 is not supported here: gradviz runs "
                               "f once per sample", kind="NotImplementedError",
                               hint="PyTorch gives empty results: skip the call when the batch "
                                    "is empty (if len(xs) > 0: ...)")
        return _vmap_loop(rt, func, args, dims, size, out_dims)
    return transformed


def _in_dims(where: str, in_dims, args) -> list:
    """One dim (or None) per argument, checked as PyTorch checks them."""
    if isinstance(in_dims, tuple):
        if len(in_dims) != len(args):
            raise GradvizError(where + "in_dims is not compatible with the structure of "
                               f"`inputs`. in_dims has {len(in_dims)} entries but inputs has "
                               f"{len(args)}.", kind=VALUE,
                               hint="give one in_dim per argument (None: not batched)")
        dims = list(in_dims)
    elif in_dims is None or isinstance(in_dims, int):
        dims = [in_dims] * len(args)
    else:
        raise GradvizError(where + "expected `in_dims` to be int or a (potentially nested) "
                           f"tuple matching the structure of inputs, got: {type(in_dims)}.",
                           kind=VALUE, hint="in_dims=0, or a tuple: in_dims=(0, None)")
    out = []
    for arg, d in zip(args, dims):
        if d is None:
            out.append(d)
            continue
        leaves = _leaves(arg)
        # an input that is a dict, tuple or list takes one in_dim for all its
        # tensors, or one each in its structure ({'weight': 0, 'bias': None})
        per_leaf = _leaves(d) if isinstance(d, (dict, tuple, list)) else [d] * len(leaves)
        if len(per_leaf) != len(leaves):
            raise GradvizError(where + "in_dims is not compatible with the structure of "
                               f"`inputs`. in_dims has structure {_tree_spec_of(in_dims)} but "
                               f"inputs has structure {_tree_spec_of(tuple(args))}.",
                               kind=VALUE, hint="give an input's in_dims its structure")
        out.append([None if e is None else _leaf_dim(where, x, e)
                    for x, e in zip(leaves, per_leaf)])
    return out


def _leaf_dim(where: str, x, d: int) -> int:
    """d checked for x (and made non-negative), as PyTorch checks it."""
    if not _is_tensor(x):
        raise GradvizError(where + f"Got in_dim={d} for an input but the input is of type "
                           f"{type(x)}. We cannot vmap over non-Tensor arguments, please "
                           "use None as the respective in_dim", kind=VALUE,
                           hint="in_dims=None for an argument that is not a tensor")
    ndim = x.data.ndim
    if not -ndim <= d < ndim:
        raise GradvizError(where + f"Got in_dim={d} for some input, but that input is "
                           f"a Tensor of dimensionality {ndim} so expected in_dim to "
                           f"satisfy -{ndim} <= in_dim < {ndim}.", kind=VALUE,
                           hint="in_dims names the batch dimension of each input")
    d %= ndim
    return d


def _vmap_loop(rt, func, args, dims, size, out_dims):
    from .functions import FUNCTIONS
    unbind, stack = FUNCTIONS["unbind"], FUNCTIONS["stack"]
    first_seq = len(rt.tape.nodes)
    # per argument: None (not batched), or per tensor in it its slices (None:
    # that tensor is not batched)
    slices = [None if d is None else [None if e is None else unbind(rt, t, e)
                                      for t, e in zip(_leaves(x), d)]
              for x, d in zip(args, dims)]
    results = []
    saved, rt._rng = rt._rng, _NoRandom()      # (randomness='error')
    outermost = _State.depth == 0 and _State.vmaps == 0
    tape = rt.tape
    calls = []          # the tape span of each slice's call of f
    try:
        _State.vmaps += 1
        for i in range(size):
            call_args = [x if s is None else
                         _like(x, [t if per is None else per[i] for t, per in zip(_leaves(x), s)])
                         for x, s in zip(args, slices)]
            start = len(tape.nodes)
            results.append(rt.call_value(func, call_args))
            calls.append((start, len(tape.nodes)))
    finally:
        _State.vmaps -= 1
        rt._rng = saved
    out = _stacked(rt, stack, results, out_dims)
    if outermost:
        # (a picture draws f for the first slice; see _run)
        tape.transforms.append({"kind": "vmap", "first": first_seq, "stop": len(tape.nodes),
                                "own": calls[:1], "slices": size})
    return out


def _stacked(rt, stack, results: list, out_dims):
    """vmap's results: each slice's outputs stacked along out_dims."""
    first = results[0]
    if isinstance(first, dict):
        return {k: _stack(rt, stack, [r[k] for r in results], out_dims) for k in first}
    if isinstance(first, tuple):
        outs = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(first)
        return tuple(_stack(rt, stack, [r[k] for r in results], outs[k])
                     for k in range(len(first)))
    return _stack(rt, stack, results, out_dims)


def _stack(rt, stack, items, out_dim):
    if not all(_is_tensor(t) for t in items):
        raise GradvizError("vmap: f must only return Tensors, got type "
                           f"{type(items[0])}. Did you mean to set out_dims= to None for "
                           "output?", kind=VALUE, hint="return tensors from f")
    return stack(rt, items, out_dim)


def linearize(rt, func, *primals):
    """torch.func.linearize: (func(*primals), jvp_fn), jvp_fn(*tangents)
    giving jvp(func, primals, tangents)'s product. PyTorch traces func once
    and replays the trace's JVP; here each jvp_fn call runs func again
    (the same values for a function without side effects)."""
    from .functions import FUNCTIONS
    from .interpreter import Function
    out, _ = jvp(rt, func, primals, tuple(FUNCTIONS["zeros_like"](rt, p) for p in primals))

    def jvp_fn(rt, *tangents):
        if len(tangents) != len(primals):
            raise GradvizError(f"Expected the tangents {_tree_spec(tangents)} to have the same "
                               f"argspec as the primals {_tree_spec(primals)}", kind=RUNTIME,
                               hint="give jvp_fn one tangent per primal")
        for k, (t, p) in enumerate(zip(tangents, primals)):
            if _is_tensor(t) and t.data.shape != p.data.shape:
                raise GradvizError(
                    f"tangent:{k} with shape torch.Size({list(t.data.shape)}) in flattened "
                    f"pytree doesn't match the shape torch.Size({list(p.data.shape)}) of the "
                    "corresponding primal.", kind=RUNTIME,
                    hint="give each tangent its primal's shape")
        return jvp(rt, func, primals, tangents)[1]
    return out, Function("jvp_fn", jvp_fn)


def _tree_spec(items: tuple) -> str:
    """PyTorch's TreeSpec of a tuple of tensors, as its errors print it."""
    stars = ",\n  ".join("*" for _ in items)
    return f"TreeSpec(tuple, None, [{stars}])"


TRANSFORMS = {"grad": grad, "grad_and_value": grad_and_value, "vjp": vjp, "jvp": jvp,
              "jacrev": jacrev, "jacfwd": jacfwd, "hessian": hessian, "vmap": vmap,
              "linearize": linearize}


def members(Function) -> dict:
    """torch.func's members, as Function values; a transform's result (a
    Python function here) becomes a Function value the program can call."""
    def wrap(name, transform):
        def impl(rt, *args, **kwargs):
            try:
                res = transform(rt, *args, **kwargs)
            except TypeError as exc:
                # a mismatch at the call itself is the program's (torch.func.grad(),
                # vmap(f, dim=1)); anything deeper is not
                if exc.__traceback__ is None or exc.__traceback__.tb_next is not None:
                    raise
                from .functions import user_arg_counts
                msg = user_arg_counts(str(exc))
                raise GradvizError(msg, kind=TYPE, hint=f"torch.func.{name}(func, ...) takes the "
                                   "function to transform first, then its options") from None
            if isinstance(res, types.FunctionType):
                return Function(name, _transform(name, res))
            return res
        return Function(name, impl)
    from .func_call import functional_call, stack_module_state
    return {**{k: wrap(k, v) for k, v in TRANSFORMS.items()},
            "functional_call": Function("functional_call", functional_call),
            "stack_module_state": Function("stack_module_state", stack_module_state)}
