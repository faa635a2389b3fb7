"""torch.autograd.functional.jacobian and hessian, computed as PyTorch
computes them by default (reverse mode, vectorize=False): the function runs
on detached copies of the inputs that require grad, and each element of each
output gets one autograd.grad pass (its row of the Jacobian). So the record
shows what PyTorch does: the function's graph, one grad() pass per output
element, and the stacking of the rows."""
from __future__ import annotations

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
             strategy="reverse-mode", keep_if=None):
    """(keep_if(inputs, outputs), when given, is asked once func has run
    whether to keep the graph all the same: torch.func's jacrev and jacfwd
    keep it to a closure's tensor that requires grad.)"""
    from .functions import FUNCTIONS, f_detach, f_grad, f_reshape, m_requires_grad_
    if strict or vectorize or strategy != "reverse-mode":
        raise GradvizError("jacobian() runs here as PyTorch's default does: strict=False, "
                           "vectorize=False, strategy='reverse-mode'", kind=RUNTIME,
                           hint="leave out strict=, vectorize= and strategy=")
    call = func if callable(func) else (lambda xs: rt.call_value(func, xs))
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, True     # (torch.enable_grad() inside)
    try:
        in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        # PyTorch's _grad_preprocess: a detached copy that requires grad (with
        # create_graph, an input that requires grad is used as it is)
        xs = [x if rt.truth(create_graph) and x.requires_grad
              else m_requires_grad_(rt, f_detach(rt, x)) for x in ins]
        out_tuple, outs = _as_tuple(call(xs), "outputs of the user-provided function",
                                    "jacobian")
        create_graph = create_graph or (keep_if is not None and keep_if(xs, outs))
        stack, zeros_like = FUNCTIONS["stack"], FUNCTIONS["zeros_like"]
        for out in outs:         # (too big a Jacobian: the limit's error before its passes)
            for x in xs:
                tape.check_shape(tuple(out.data.shape) + tuple(x.data.shape), "Jacobian")
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
