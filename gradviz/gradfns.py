"""What `y.grad_fn` evaluates to: a node of the backward graph that a
program can print and walk, as PyTorch's tutorials do::

    print(d.grad_fn)                         # <AddBackward0 object>
    print(d.grad_fn.next_functions)          # ((<MulBackward0 object>, 0), (None, 0))
    print(d.grad_fn.next_functions[0][0].next_functions)
    leaf = y.sum().grad_fn.next_functions[0][0]
    print(leaf, leaf.variable)               # <AccumulateGrad object> tensor(...)

next_functions lists one (node, output number) pair per input edge, as
PyTorch builds them: the input's grad_fn; AccumulateGrad for a leaf that
requires grad; None for a tensor that needs no gradient and for a number
that PyTorch wraps as a tensor (`x * 2`, `x + 1`: two edges). A number it
takes as a Scalar has no edge (`1 - x`, `x ** 2`: one). Where PyTorch's
function is made of several nodes and gradviz records one (`2 / x` is
reciprocal then mul, `cross_entropy` is log_softmax then nll_loss), the
nodes in between are made here, named as PyTorch names them. Printed
without the address PyTorch adds (it would change from run to run).
"""
from __future__ import annotations

from .tensor import REBASED_GRAD_FN, Tensor

# the name() of nodes that are not an op's "...Backward" (PyTorch's C++ names)
_QUALIFIED = {"AccumulateGrad": "torch::autograd::AccumulateGrad",
              "CopySlices": "torch::autograd::CopySlices",
              "CopyBackwards": "torch::autograd::CopyBackwards",
              "NotImplemented": "torch::autograd::NotImplemented"}
# ops whose number arguments PyTorch takes as Scalars: no edge for them
_SCALAR_ARGS = {"rsub", "pow"}
# ops whose inputs past the first few are no inputs of PyTorch's node (a
# class weight, a target of indices): how many are
_WEIGHT_ARGS = {"nll_loss": 1, "embedding": 1, "binary_cross_entropy": 2}


class GradFn:
    """A backward node: of the tensor `node` made (its grad_fn), of a leaf
    (AccumulateGrad, `node` the leaf), or one of the nodes in between that
    PyTorch makes and gradviz does not record (`edges` given)."""

    __slots__ = ("name", "node", "edges", "tape_nodes")

    def __init__(self, name: str, node: Tensor | None = None, edges: tuple | None = None,
                 tape_nodes: list | None = None):
        self.name, self.node, self.edges = name, node, edges
        self.tape_nodes = tape_nodes      # the tape, where a write's new node is found

    def _key(self):
        return (self.name, id(self.node)) if self.node is not None else (self.name, id(self))

    def same(self, other) -> bool:
        """The same backward node of PyTorch's graph: each access to a
        grad_fn makes a GradFn here, where PyTorch hands out its one object
        (y.grad_fn is y.grad_fn; next_functions lead to the input's)."""
        return other.__class__ is GradFn and self._key() == other._key()

    def __eq__(self, other):
        return self.same(other)

    def __hash__(self):
        return hash(self._key())

    def qualified_name(self) -> str:
        return _QUALIFIED.get(self.name, self.name)

    @property
    def next_functions(self) -> tuple:
        if self.edges is not None:
            return self.edges
        if self.name == "AccumulateGrad":
            return ()
        return _edges(self.node, self.name, self.tape_nodes)


def grad_fn_of(t: Tensor, tape_nodes: list) -> GradFn | None:
    """t.grad_fn as the program sees it."""
    name = t.grad_fn_name
    return None if name is None else GradFn(name, t, tape_nodes=tape_nodes)


def _edge_on(t, at: int, tape_nodes: list) -> tuple:
    """The (node, 0) of an input t of a node made at tape index `at`: None
    for a number and for a tensor that needed no gradient then (it may
    have been made to require one since: requires_grad_())."""
    if t.__class__ is not Tensor or not t.requires_grad:
        return (None, 0)
    m = t.meta
    if t.recorded:
        if m is not None and m.get("written_at", -1) >= at:
            # a view written in place after this node was made: the edge is
            # to the grad_fn it was made with, not the one PyTorch makes anew
            return (GradFn(t.op.grad_fn_for(t), t, tape_nodes=tape_nodes), 0)
        return (grad_fn_of(t, tape_nodes), 0)
    if m is not None and m.get("grad_since", -1) >= at:
        return (None, 0)
    return (GradFn("AccumulateGrad", t), 0)


def _hidden(name: str, *edges) -> tuple:
    """(a node PyTorch makes and gradviz does not record, 0)"""
    return (GradFn(name, edges=tuple(edges)), 0)


def _edges(node: Tensor, name: str, tape_nodes: list) -> tuple:
    op = node.op.name
    args = node.args
    at = node.seq + 1

    def _edge(t, at):
        return _edge_on(t, at, tape_nodes)

    if name == "AsStridedBackward0" and op == "index":
        # a view the program held, made again on its base after a write
        # through another tensor (Interpreter._remake_view)
        return (_edge(args[0], at),)
    if name == "AsStridedBackward0":
        # a view written through its family: PyTorch makes its grad_fn again
        # from its base as it is now (the view before -> the base it viewed
        # -> the node that write made of it)
        view = args[0]
        base = view.args[0] if view.args and view.args[0].__class__ is Tensor else view
        while base.meta is not None and "replaced_by" in base.meta:
            base = tape_nodes[base.meta["replaced_by"]]
        return (_edge(base, at),)
    if op == "setitem" and args[1].__class__ is Tensor and (m := args[1].meta) is not None \
            and m.get("rebased") == REBASED_GRAD_FN:
        # the base's side of a write into its view (args[1], the view after
        # it): PyTorch's CopySlices wraps that write, and has its edges but
        # the view's own
        return (_edge(args[0], at),) + _edges(args[1], args[1].op.grad_fn_for(args[1]),
                                              tape_nodes)[1:]
    if name == "MulBackward1" or name == "DivBackward1":
        # a Scalar overload (higher_order._scaled): the number is no input
        return tuple(_edge(a, at) for a in args if a.__class__ is Tensor)
    if op in ("mul", "add") and args[0].__class__ is not Tensor:
        args = args[::-1]             # `2 * x` is x.__rmul__(2): x.mul(2)
    elif op == "where":               # the condition is no input of the gradient
        args = args[1:]
    elif op in _SCALAR_ARGS:
        args = tuple(a for a in args if a.__class__ is Tensor)
    elif op == "rdiv":                # number / x: x.reciprocal() * number
        x = args[1]
        return (_hidden("ReciprocalBackward0", _edge(x, at)), (None, 0))
    elif op == "outer":               # a.view(-1, 1) * b
        return (_hidden("ViewBackward0", _edge(args[0], at)), _edge(args[1], at))
    elif op in ("layer_norm", "batch_norm"):
        # (input, weight, bias), None for a missing one; the running
        # statistics are no inputs of the gradient
        affine = node.params.get("affine", "")
        given = iter(args[1:])
        return (_edge(args[0], at),) + tuple(
            _edge(next(given), at) if c in affine else (None, 0) for c in "wb")
    elif op in _WEIGHT_ARGS:          # a class weight or an index: no input of the gradient
        return tuple(_edge(a, at) for a in args[:_WEIGHT_ARGS[op]])
    elif name == "NllLossBackward0":  # cross_entropy: log_softmax, then nll_loss
        return (_hidden("LogSoftmaxBackward0", _edge(args[0], at)),)
    elif name == "UnsafeViewBackward0" and op != "matmul":
        # the reshape of a tensor whose memory does not allow a view: a copy first
        return (_hidden("CloneBackward0", _edge(args[0], at)),)
    elif op == "matmul" and name == "SqueezeBackward4":
        # vector @ matrix: the vector as a 1-row matrix, mm, the row dropped
        a, b = args
        return (_hidden("MmBackward0", _hidden("UnsqueezeBackward0", _edge(a, at)),
                        _edge(b, at)),)
    elif op == "matmul" and name == "UnsafeViewBackward0" and args[1].data.ndim <= 2:
        # a batch @ a matrix or a vector: the batch folded into rows, mm or mv
        a, b = args
        inner = "MmBackward0" if b.data.ndim == 2 else "MvBackward0"
        return (_hidden(inner, _hidden("ViewBackward0", _edge(a, at)), _edge(b, at)),)
    return tuple(_edge(a, at) for a in args)
