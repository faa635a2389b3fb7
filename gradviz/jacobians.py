"""torch.autograd.functional.jacobian and hessian, computed as PyTorch
computes them by default (reverse mode, vectorize=False): the function runs
on detached copies of the inputs that require grad, and each element of each
output gets one autograd.grad pass (its row of the Jacobian). So the record
shows what PyTorch does: the function's graph, one grad() pass per output
element, and the stacking of the rows."""
from __future__ import annotations

import numpy as np

from .errors import RUNTIME, TYPE, GradvizError
from .tensor import Tensor


def _as_tuple(v, what: str, fname: str) -> tuple[bool, tuple]:
    """PyTorch's _as_tuple: (was a tuple, the tensors), or its TypeError."""
    is_tuple = isinstance(v, tuple)
    items = v if is_tuple else (v,)
    for i, t in enumerate(items):
        if t.__class__ is not Tensor:
            raise GradvizError(
                f"The {what} given to {fname} must be either a Tensor or a tuple of Tensors but "
                f"the value at index {i} has type {_type_name(t)}." if is_tuple else
                f"The {what} given to {fname} must be either a Tensor or a tuple of Tensors but "
                f"the given {what} has type {_type_name(t)}.", kind=TYPE,
                hint=f"give {fname} a tensor, or a tuple of tensors: (a, b)")
    return is_tuple, items


def _type_name(v) -> str:
    return "<class 'NoneType'>" if v is None else f"<class '{type(v).__name__}'>"


def jacobian(rt, func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode", keep_if=None, forward_mode=False):
    """(keep_if(inputs, outputs), when given, is asked once func has run
    whether to keep the graph all the same: torch.func's jacrev and jacfwd
    keep it to a closure's tensor that requires grad; they pass it, and only
    they, and give func an input that requires grad as it is, where
    autograd.functional's jacobian gives it a view. forward_mode: torch.func.jacfwd,
    whose Jacobian without a graph is built by columns, see forward_blocks.)"""
    from .functions import FUNCTIONS, f_detach, f_grad, f_reshape
    from .products import _preprocess, fresh_leaf
    if strict or vectorize or strategy != "reverse-mode":
        raise GradvizError("jacobian() runs here as PyTorch's default does: strict=False, "
                           "vectorize=False, strategy='reverse-mode'", kind=RUNTIME,
                           hint="leave out strict=, vectorize= and strategy=")
    call = func if callable(func) else (lambda xs: rt.call_value(func, xs))
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, True     # (torch.enable_grad() inside)
    try:
        in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        if keep_if is None:
            # PyTorch's _grad_preprocess: a detached copy that requires grad
            # (with create_graph, a view of an input that requires grad: the
            # function sees grad_fn=<ViewBackward0>)
            xs = _preprocess(rt, ins, create_graph, need_graph=True)
        else:       # (torch.func's transforms: an input that requires grad as it is)
            xs = [x if rt.truth(create_graph) and x.requires_grad
                  else fresh_leaf(rt, x) for x in ins]
        out_tuple, outs = _as_tuple(call(xs), "outputs of the user-provided function",
                                    "jacobian")
        create_graph = create_graph or (keep_if is not None and keep_if(xs, outs))
        stack, zeros_like = FUNCTIONS["stack"], FUNCTIONS["zeros_like"]
        for out in outs:         # (too big a Jacobian: the limit's error before its passes)
            for x in xs:
                tape.check_shape(tuple(out.data.shape) + tuple(x.data.shape), "Jacobian")
        blocks = forward_blocks(rt, outs, xs) if forward_mode and not create_graph else None
        if blocks is not None:
            result = [tuple(b) if in_tuple else b[0] for b in blocks]
            return tuple(result) if out_tuple else result[0]
        result = []
        for out in outs:
            rows = [[] for _ in xs]
            flat = f_reshape(rt, out, -1)
            for j in range(int(out.data.size)):
                item = rt.index_tensor(flat, [j])
                if item.requires_grad:
                    grads = f_grad(rt, item, xs, retain_graph=True, create_graph=create_graph,
                                   allow_unused=True)
                else:      # an output that does not depend on the inputs: zero rows
                    grads = (None,) * len(xs)
                for k, (g, x) in enumerate(zip(grads, xs)):
                    rows[k].append(g if g is not None else zeros_like(rt, x))
            per_input = []
            for x, r in zip(xs, rows):
                shape = tuple(out.data.shape) + tuple(x.data.shape)
                # (no rows: an output with no elements, a Jacobian with none)
                per_input.append(f_reshape(rt, stack(rt, r), *shape) if r else
                                 FUNCTIONS["zeros"](rt, *shape))
            result.append(tuple(per_input) if in_tuple else per_input[0])
    finally:
        tape.grad_enabled = enabled
    if not create_graph:
        result = [tuple(f_detach(rt, t) for t in r) if in_tuple else f_detach(rt, r)
                  for r in result]
    return tuple(result) if out_tuple else result[0]


# the elements jacfwd's columns may compute (each pass computes every op
# again) before a Jacobian with fewer rows is built by rows
COLUMN_ELEMENTS = 50_000_000


def forward_blocks(rt, outs, xs) -> list[list[Tensor]] | None:
    """Per output, per input: the Jacobian block d out / d x as forward mode
    builds it (torch.func.jacfwd), one JVP pass per element of x giving one
    column; its zeros, NaNs and infs are forward mode's, which can differ from
    the rows of reverse mode (sqrt at 0: inf on the diagonal, NaN beside it
    in the column, where a row has 0). None when an op on the way has no JVP
    rules (a custom autograd.Function), or when the columns would cost more
    than forward mode's budget and more than the rows: the rows are
    computed instead."""
    from .forward import MAX_NODE_VISITS, without_jvp
    from .forward_ad import op_tangent, ops_back_to
    from .ops.registry import jvp_memo
    order = ops_back_to(outs, set(xs))
    if without_jvp(order) is not None:
        return None
    columns = sum(int(x.data.size) for x in xs)
    work = columns * sum(int(n.data.size) for n in order)      # (elements computed)
    if (columns * len(order) > MAX_NODE_VISITS or work > COLUMN_ELEMENTS) and \
            columns > sum(int(o.data.size) for o in outs):
        return None
    versions, operands = rt.tape.versions, {}
    # PyTorch pushes the basis of all inputs at once: the other inputs'
    # tangents are zeros, not none (0 * inf is NaN, and -0 + 0 is 0)
    zeros = {x: np.zeros(x.data.shape, x.data.dtype) for x in xs}
    blocks = [[np.zeros(tuple(o.data.shape) + (x.data.size,), o.data.dtype) for x in xs]
              for o in outs]
    with jvp_memo():
        for k, x in enumerate(xs):
            unit = np.zeros(x.data.size, x.data.dtype)
            for j in range(x.data.size):
                unit[j] = 1
                tangents = {**zeros, x: unit.reshape(x.data.shape)}
                for n in order:
                    if n not in tangents:
                        t = op_tangent(rt, n, tangents.get, versions, operands)
                        if t is not None:
                            tangents[n] = t
                for per_out, o in zip(blocks, outs):
                    t = tangents.get(o)
                    if t is not None:
                        per_out[k][..., j] = t
                unit[j] = 0
    return [[rt.tape.add(Tensor(b.reshape(tuple(o.data.shape) + tuple(x.data.shape))),
                         rt.span, label="jacfwd")
             for b, x in zip(per_out, xs)] for per_out, o in zip(blocks, outs)]


def hessian(rt, func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Jacobian of the Jacobian of a function with one output element."""
    in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def single_output(xs):
        out = rt.call_value(func, list(xs))
        _as_tuple(out, "outputs of the user-provided function", "hessian")
        if out.__class__ is not Tensor:
            raise GradvizError("The function given to hessian should return a single Tensor",
                               kind=RUNTIME)
        if out.data.size != 1:
            raise GradvizError("The Tensor returned by the function given to hessian should "
                               "contain a single element", kind=RUNTIME,
                               hint="hessian() is for a function with one number out, "
                                    "e.g. a loss")
        from .functions import FUNCTIONS
        return FUNCTIONS["squeeze"](rt, out)

    def jac(xs):
        return jacobian(rt, single_output, tuple(xs), create_graph=True)

    res = jacobian(rt, jac, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    # PyTorch's _tuple_postprocess(res, (in_tuple, in_tuple)): the inner
    # jacobian had tuple inputs, so its output is a tuple
    if not in_tuple:
        return res[0]
    return res
