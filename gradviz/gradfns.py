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

import numpy as np

from .errors import ATTRIBUTE, RUNTIME, GradvizError
from .ops.nn import nll_grad_fn
from .tensor import Tensor
from .versions import QUALIFIED_NAMES

_NO_META: dict = {}
# ops whose number arguments PyTorch takes as Scalars: no edge for them
# (and those whose number argument PyTorch takes as a Scalar overload: fmod(x, 2.0))
_SCALAR_ARGS = {"rsub", "pow", "lerp", "fmod", "remainder", "xlogy", "copysign"}
# ops whose inputs past the first few are no inputs of PyTorch's node (a
# class weight, a target of indices): how many are
_WEIGHT_ARGS = {"nll_loss": 1, "embedding": 1, "binary_cross_entropy": 2, "soft_margin_loss": 1,
                "binary_cross_entropy_with_logits": 2}


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
        if self.node is None:
            return (self.name, id(self))
        meta = self.node.meta or _NO_META
        group = meta.get("hook_group")
        if group is not None:
            # (the nodes of one BackwardHookFunction, one per tensor here: PyTorch's one node)
            return (self.name, "hook_group", group)
        group = meta.get("output_group")
        if group is not None and self.name == self.node.grad_fn_name:
            # (the outputs of one op, one node each here: PyTorch's one node;
            # functions.numbered_outputs)
            return (self.name, "outputs", group)
        return (self.name, id(self.node))

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
        return QUALIFIED_NAMES.get(self.name, self.name)

    @property
    def class_name(self) -> str:
        """Its Python class's name: a node PyTorch binds to no class of its
        own (a primal's torch::autograd::Identity) is a CppFunction."""
        return "CppFunction" if self.name == "Identity" else self.name

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
    if m is not None and m.get("cast_within") and t.recorded:
        # (the dtype= conversion PyTorch makes inside the op: its input's edge)
        return _edge_on(t.args[0], at, tape_nodes)
    if t.recorded:
        if m is not None and m.get("written_at", -1) >= at:
            # a view written in place after this node was made: the edge is
            # to the grad_fn it was made with, not the one PyTorch makes anew
            return (GradFn(t.op.grad_fn_for(t), t, tape_nodes=tape_nodes), 0)
        # (output_nr: a module's hook node's place among its tensors, a
        # multi-output op's output's among its outputs)
        return (grad_fn_of(t, tape_nodes),
                0 if m is None else m.get("hook_output", m.get("output_nr", 0)))
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
    if op == "setitem" or "object" in (node.meta or _NO_META):
        # the node of an in-place write (x[i] = v, x.masked_fill_(m, x[0])):
        # its inputs were read before it wrote, and a view of the memory it
        # writes keeps the grad_fn it was made with for it (see _edge_on)
        at = node.seq

    def _edge(t, at):
        return _edge_on(t, at, tape_nodes)

    if name == "AsStridedBackward0" and (op == "index" or (
            op == "as_strided" and not (node.meta or _NO_META).get("rebased"))):
        # a view the program held, made again on its base after a write
        # through another tensor (Interpreter._remake_view); x.as_strided()
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
    if op == "setitem" and (node.meta or _NO_META).get("wraps_write"):
        # the base's side of a write into its view (args[1], the view after
        # it): PyTorch's CopySlices wraps that write, and has its edges but
        # the view's own
        return (_edge(args[0], at),) + _edges(args[1], args[1].op.grad_fn_for(args[1]),
                                              tape_nodes)[1:]
    if op == "backward_hook":
        # PyTorch's one node for the tensors of a module's call (gradviz's
        # nodes for them are made one after the other): an edge for each
        m = node.meta
        edges = [(None, 0)] * m["hook_tensors"]
        seq = m["hook_group"]
        for seq in range(seq, seq + m["hook_views"]):
            t = tape_nodes[seq]
            edges[t.meta["hook_output"]] = _edge(t.args[0], t.seq + 1)
        return tuple(edges)
    if name == "MulBackward1" or name == "DivBackward1":
        # a Scalar overload (higher_order._scaled): the number is no input
        return tuple(_edge(a, at) for a in args if a.__class__ is Tensor)
    if name == "NotImplemented" and op != "set_":
        # (an op with no derivative: edges to what needs one; set_'s node,
        # made by hand, keeps one per input)
        return tuple(e for e in (_edge(a, at) for a in args) if e[0] is not None)
    if op in ("mul", "add") and args[0].__class__ is not Tensor:
        args = args[::-1]             # `2 * x` is x.__rmul__(2): x.mul(2)
    elif op == "where":               # the condition is no input of the gradient
        args = args[1:]
    elif op in _SCALAR_ARGS:
        args = tuple(a for a in args if a.__class__ is Tensor)
    elif op == "masked_fill":         # the mask is no input of the gradient; a number neither
        args = tuple(a for i, a in enumerate(args) if i != 1 and a.__class__ is Tensor)
    elif name == "ClampBackward0" and op in ("clamp_min_tensor", "clamp_max_tensor"):
        # clamp(x, min=t): PyTorch's one node, its missing bound a None edge
        x, bound = (_edge(a, at) for a in args)
        return (x, bound, (None, 0)) if op == "clamp_min_tensor" else (x, (None, 0), bound)
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
    elif op in _CONVS and len(args) == 2:      # (input, weight, bias=None)
        return (_edge(args[0], at), _edge(args[1], at), (None, 0))
    elif op in ("nll_loss", "cross_entropy") and name in ("NllLoss2DBackward0", "ViewBackward0"):
        # class indices of an input (N, C, d1, ...): nll_loss2d
        x = _edge(args[0], at)
        if op == "cross_entropy":
            x = _hidden("LogSoftmaxBackward0", x)
        return _nll_2d_edges(name, args[0].data.ndim, x)
    elif op in _WEIGHT_ARGS:          # a class weight or an index: no input of the gradient
        return tuple(_edge(a, at) for a in args[:_WEIGHT_ARGS[op]])
    elif op == "cross_entropy" and name == "AddBackward0":
        return _smoothed_ce_edges(node.params, _edge(args[0], at), len(args) > 2,
                                  args[0].data.ndim)
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


# ConvolutionBackward0's ops: three edges, the last None without a bias
_CONVS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


def edge_args(node: Tensor, name: str) -> list | None:
    """For each edge of node's grad_fn (next_functions, in order), the
    index of node's argument it leads to (None: an edge no argument is, a
    missing bias); None where PyTorch's node is not gradviz's one node (a
    node in between, a view rebased by a write): what the node hooks of
    a grad_fn see, one gradient per edge."""
    op = node.op.name
    args = node.args
    if (name in ("AsStridedBackward0", "NllLossBackward0", "CopySlices")
            or op in ("rdiv", "outer", "cross_entropy", "setitem")
            or (name == "UnsafeViewBackward0" and (op != "matmul" or args[1].data.ndim <= 2))
            or (name == "SqueezeBackward4" and op == "matmul")
            or (op == "nll_loss" and args[0].data.ndim > 2)):      # nll_loss2d, viewed
        return None
    every = list(range(len(args)))
    if name == "MulBackward1" or name == "DivBackward1" or op in _SCALAR_ARGS:
        return [i for i in every if args[i].__class__ is Tensor]
    if name == "NotImplemented" and op != "set_":
        return [i for i in every if args[i].__class__ is Tensor and args[i].requires_grad]
    if op in ("mul", "add") and args[0].__class__ is not Tensor:
        return every[::-1]
    if op == "where":
        return every[1:]
    if op == "masked_fill":        # (the mask is no edge; a number value neither)
        return [i for i in every if i != 1 and args[i].__class__ is Tensor]
    if name == "ClampBackward0" and op in ("clamp_min_tensor", "clamp_max_tensor"):
        return [0, 1, None] if op == "clamp_min_tensor" else [0, None, 1]   # (clamp(x, min=t))
    if op in ("layer_norm", "batch_norm"):
        affine = node.params.get("affine", "")
        given = iter(every[1:])
        return [0] + [next(given) if c in affine else None for c in "wb"]
    if op in _CONVS and len(args) == 2:
        return [0, 1, None]
    if op in _WEIGHT_ARGS:
        return every[:_WEIGHT_ARGS[op]]
    return every


def _nll_2d_edges(name: str, ndim: int, input_edge: tuple) -> tuple:
    """nll_loss2d's edges: to the input, viewed as 4-d unless it is; under
    the ViewBackward0 of reduction='none' back to the target's shape."""
    if ndim != 4:
        input_edge = _hidden("ViewBackward0", input_edge)
    if name == "ViewBackward0":
        return (_hidden("NllLoss2DBackward0", input_edge),)
    return (input_edge,)


def _smoothed_ce_edges(params: dict, logits_edge: tuple, weighted: bool, ndim: int) -> tuple:
    """cross_entropy with label_smoothing=: (1 - s) * nll_loss + ret * (s / C),
    ret = -(logp [* weight]).sum(1), masked, then summed (and divided)."""
    logp = _hidden("LogSoftmaxBackward0", logits_edge)      # (one node, two uses)
    ret = _hidden("SumBackward1", _hidden("MulBackward0", logp, (None, 0)) if weighted else logp)
    ret = _hidden("MaskedFillBackward0", _hidden("NegBackward0", ret))
    reduction = params.get("reduction", "mean")
    if reduction != "none":
        ret = _hidden("SumBackward0", ret)
    if reduction == "mean":
        ret = _hidden("DivBackward0", ret, (None, 0))
    if ndim > 2:                      # nll_loss2d (ops/nn.py: nll_grad_fn)
        nll = _hidden(nll_grad_fn(ndim, reduction), *_nll_2d_edges(
            nll_grad_fn(ndim, reduction), ndim, logp))
    else:
        nll = _hidden("NllLossBackward0", logp)
    return (_hidden("MulBackward1", nll), _hidden("MulBackward1", ret))


# ---- saved tensors: y.grad_fn._saved_self, _saved_result, _saved_dim, ... ----
#
# What PyTorch's node keeps for its backward, by the names its generated
# code gives them. A saved input is the input's tensor object (`is` holds);
# a number PyTorch wraps as a tensor (`x * 2`) reads as that 0-d tensor
# (int64 or float64, as PyTorch wraps it); an input PyTorch does not save
# because the other input needs no gradient reads None. Saved tensors are
# freed by backward() (reading one then is PyTorch's error); sizes, dims
# and numbers are not.
# PyTorch hands out its saved result as a new tensor object of the same
# node (`y.grad_fn._saved_result is y` is False): so does gradviz (_alias).
# _raw_saved_<name> is the SavedTensor object itself, readable after
# backward() too. A dim reads as the program gave it (functions._keep_given):
# PyTorch keeps -1 as an unsigned 64-bit number, 2**64 - 1, and a tuple of
# dims in the order given.

_UINT64 = 1 << 64


def _wrapped(v):
    """A Python number as PyTorch wraps it into a tensor (int64, float64)."""
    if v.__class__ is Tensor or v is None:
        return v
    return Tensor(np.asarray(v, dtype=np.int64 if isinstance(v, int) else np.float64))


def _needs_grad(v) -> bool:
    return v.__class__ is Tensor and v.requires_grad


def _strides(t) -> tuple:
    return tuple(s // t.data.itemsize for s in t.data.strides)


def _self_if_other(node, args):
    """Mul's (and mm's) input 0: saved for input 1's gradient only."""
    return args[0] if _needs_grad(args[1]) else None


def _other_if_self(node, args):
    return _wrapped(args[1]) if _needs_grad(args[0]) else None


def _as_given(node, key):
    """The dim argument `key` as the program gave it, negative ones as
    PyTorch shows them (2**64 + d)."""
    m = node.meta
    given = m.get("given") if m is not None else None
    d = given[key] if given is not None and key in given else (node.params or {}).get(key)
    if isinstance(d, int):
        return d % _UINT64
    return d if d is None else tuple(i % _UINT64 for i in d)


def _dim_tuple(node, args):
    d = _as_given(node, "dim")
    return (d,) if isinstance(d, int) else tuple(d)


_DIM = (lambda node, args: _as_given(node, "dim"))


def _reduction(node, args):
    """PyTorch's Reduction enum: 0 none, 1 mean, 2 sum."""
    return {"none": 0, "mean": 1, "sum": 2}[node.params.get("reduction", "mean")] \
        if node.params else 1


def _alias(t: Tensor) -> Tensor:
    """A new tensor object of t's node (its value, grad_fn, inputs): what
    PyTorch's unpacking of a saved output makes."""
    new = Tensor(t.data, t.requires_grad)
    for slot in ("op", "args", "params", "recorded", "freed", "seq", "span"):
        setattr(new, slot, getattr(t, slot))
    if t.meta is not None:
        new.meta = {k: v for k, v in t.meta.items() if k != "object"}
    return new


class SavedTensor:
    """What grad_fn._raw_saved_<name> is: the saved slot, not its value."""

    __slots__ = ("fn", "attr")

    def __init__(self, fn, attr: str):
        self.fn, self.attr = fn, attr


_SELF = (lambda node, args: args[0])
_OTHER = (lambda node, args: args[1])
_RESULT = (lambda node, args: _alias(node))
_SIZES = (lambda node, args: tuple(args[0].shape))
_NUMEL = (lambda node, args: int(args[0].data.size))
_ALPHA = (lambda node, args: (node.params or {}).get("alpha", 1))


def _param(key, default=None):
    return lambda node, args: (node.params or {}).get(key, default)


def _mm(i):
    """mm's input i (saved for the other's gradient) and its sizes and
    strides (those only where input i itself needs a gradient)."""
    return {("_saved_self", "_saved_mat2")[i]:
            lambda node, args: args[i] if _needs_grad(args[1 - i]) else None,
            ("_saved_self_sym_sizes", "_saved_mat2_sym_sizes")[i]:
            lambda node, args: tuple(args[i].shape),
            ("_saved_self_sym_strides", "_saved_mat2_sym_strides")[i]:
            lambda node, args: _strides(args[i]) if _needs_grad(args[i]) else ()}


def _each_for_the_other(names: tuple) -> dict:
    """A product's two inputs, each saved only where the other needs a
    gradient (dot's _saved_self and _saved_tensor, mv's _saved_self and
    _saved_vec)."""
    return {name: (lambda node, args, i=i: args[i] if _needs_grad(args[1 - i]) else None)
            for i, name in enumerate(names)}


# the dims of the two inputs of a matrix product's node (matmul's nodes by them)
_PRODUCT_DIMS = {"MmBackward0": (2, 2), "DotBackward0": (1, 1), "MvBackward0": (2, 1)}

# grad_fn name -> (the ops of gradviz whose node it is here, {attribute: read})
SAVED = {
    "MulBackward0": (("mul",), {"_saved_self": _self_if_other, "_saved_other": _other_if_self}),
    "DivBackward0": (("div",), {"_saved_self": _self_if_other,
                                "_saved_other": lambda node, args: _wrapped(args[1])}),
    "AddBackward0": (("add",), {"_saved_alpha": _ALPHA}),
    "SubBackward0": (("sub",), {"_saved_alpha": _ALPHA}),
    "RsubBackward1": (("rsub", "rsub_alpha"), {"_saved_alpha": _ALPHA}),
    "RsubBackward0": (("rsub_alpha",), {"_saved_alpha": _ALPHA}),
    "PowBackward0": (("pow",), {"_saved_exponent": _OTHER, "_saved_self": _SELF}),
    "PowBackward1": (("pow",), {"_saved_exponent": _OTHER, "_saved_result": _RESULT,
                                "_saved_self": _SELF}),
    "PowBackward2": (("pow",), {"_saved_exponent": _OTHER, "_saved_result": _RESULT,
                                "_saved_self": _SELF}),
    "MaximumBackward0": (("maximum",), {"_saved_other": _OTHER, "_saved_self": _SELF}),
    "MinimumBackward0": (("minimum",), {"_saved_other": _OTHER, "_saved_self": _SELF}),
    "Atan2Backward0": (("atan2",), {"_saved_other": _OTHER, "_saved_self": _SELF}),
    "NegBackward0": (("neg",), {}),
    "TBackward0": (("t",), {}),
    "CloneBackward0": (("clone",), {}),
    "SumBackward0": (("sum",), {"_saved_self_sym_sizes": _SIZES}),
    "SumBackward1": (("sum",), {"_saved_dim": _dim_tuple, "_saved_keepdim": _param("keepdim", False),
                                "_saved_self_sym_sizes": _SIZES}),
    "MeanBackward0": (("mean",), {"_saved_self_sym_numel": _NUMEL, "_saved_self_sym_sizes": _SIZES}),
    "MeanBackward1": (("mean",), {"_saved_dim": _dim_tuple, "_saved_keepdim": _param("keepdim", False),
                                  "_saved_self_sym_numel": _NUMEL, "_saved_self_sym_sizes": _SIZES}),
    "MaxBackward1": (("max",), {"_saved_result": _RESULT, "_saved_self": _SELF}),
    "MinBackward1": (("min",), {"_saved_result": _RESULT, "_saved_self": _SELF}),
    "ProdBackward0": (("prod",), {"_saved_result": _RESULT, "_saved_self": _SELF}),
    "SoftmaxBackward0": (("softmax",), {"_saved_dim": _DIM, "_saved_result": _RESULT}),
    "LogSoftmaxBackward0": (("log_softmax",), {"_saved_dim": _DIM, "_saved_result": _RESULT}),
    "ViewBackward0": (("view", "reshape", "flatten"), {"_saved_self_sym_sizes": _SIZES}),
    "TransposeBackward0": (("transpose",), {"_saved_dim0": lambda node, args: _as_given(node, "dims")[0],
                                            "_saved_dim1": lambda node, args: _as_given(node, "dims")[1]}),
    "PermuteBackward0": (("permute",), {"_saved_dims": lambda node, args: _as_given(node, "dims")}),
    "UnsqueezeBackward0": (("unsqueeze",), {"_saved_dim": _DIM}),
    # the in-place forms (inplace_views): x.t_(), x.transpose_(0, 1), ...
    "TBackward1": (("t",), {}),
    "TransposeBackward1": (("transpose",), {"_saved_dim0": lambda node, args: _as_given(node, "dims")[0],
                                            "_saved_dim1": lambda node, args: _as_given(node, "dims")[1]}),
    "UnsqueezeBackward1": (("unsqueeze",), {"_saved_dim": _DIM}),
    "SqueezeBackward3": (("squeeze",), {"_saved_self_sym_sizes": _SIZES}),
    "SqueezeBackward4": (("squeeze",), {"_saved_dim": _DIM, "_saved_self_sym_sizes": _SIZES}),
    "SqueezeBackward5": (("squeeze",), {"_saved_dim": _DIM, "_saved_self_sym_sizes": _SIZES}),
    "SqueezeBackward2": (("squeeze",), {"_saved_dim": _DIM, "_saved_self_sym_sizes": _SIZES}),
    "CatBackward0": (("cat",), {"_saved_dim": _DIM}),
    "StackBackward0": (("stack",), {"_saved_dim": _DIM}),
    "CumsumBackward0": (("cumsum",), {"_saved_dim": _DIM}),
    "ClampBackward1": (("clamp",), {"_saved_max": _param("max"), "_saved_min": _param("min"),
                                    "_saved_self": _SELF}),
    "MmBackward0": (("mm", "matmul"), {**_mm(0), **_mm(1)}),
    "DotBackward0": (("dot", "matmul"), _each_for_the_other(("_saved_self", "_saved_tensor"))),
    "MvBackward0": (("mv", "matmul"), _each_for_the_other(("_saved_self", "_saved_vec"))),
    "MseLossBackward0": (("mse_loss",), {"_saved_reduction": _reduction, "_saved_self": _SELF,
                                         "_saved_target": _OTHER}),
    "LeakyReluBackward0": (("leaky_relu",), {"_saved_negative_slope": _param("negative_slope", 0.01),
                                             "_saved_self": _SELF}),
    "SoftplusBackward0": (("softplus",), {"_saved_beta": _param("beta", 1), "_saved_self": _SELF,
                                          "_saved_threshold": _param("threshold", 20)}),
}
# one-input ops that save their result, or their input, and nothing else
for _name in ("Exp", "Tanh", "Sigmoid", "Relu", "Sqrt", "Rsqrt", "Reciprocal", "Tan", "Exp2"):
    SAVED[_name + "Backward0"] = ((_name.lower(),), {"_saved_result": _RESULT})
for _name in ("Log", "Sin", "Cos", "Abs", "Silu", "Log1P", "Asin", "Acos",
              "Atan", "Sinh", "Cosh", "Erf"):
    SAVED[_name + "Backward0"] = ((_name.lower(),), {"_saved_self": _SELF})


def _is_tensor_slot(name: str, attr: str) -> bool:
    """attr holds a tensor in PyTorch's node (it has a _raw_saved_ twin)."""
    if attr == "_saved_exponent":
        return name in ("PowBackward1", "PowBackward2")
    if attr == "_saved_self" and name == "PowBackward2":
        return False                  # (number ** x: the number, a Scalar)
    return attr in ("_saved_self", "_saved_other", "_saved_result", "_saved_mat2",
                    "_saved_target", "_saved_tensor", "_saved_vec")


def saved_attribute(fn: GradFn, attr: str):
    """fn.<attr> for a `_saved_*` attribute PyTorch's node has; raises
    AttributeError's GradvizError where it has none, and PyTorch's error for
    a saved tensor read after backward() freed it."""
    from .autodiff import FREED_MESSAGE
    node = fn.node
    asked = attr                      # (the name its AttributeError gives)
    raw = attr.startswith("_raw_saved_")
    if raw:
        attr = "_saved_" + attr[len("_raw_saved_"):]
    entry = SAVED.get(fn.name) if fn.edges is None and node is not None else None
    if entry is None or node.op is None or node.op.name not in entry[0] \
            or (fn.name in _PRODUCT_DIMS
                and tuple(a.data.ndim for a in node.args) != _PRODUCT_DIMS[fn.name]):
        raise GradvizError(f"'{fn.name}' object has no attribute '{asked}'", kind=ATTRIBUTE,
                           hint=f"gradviz models the saved values of common nodes: "
                                f"{', '.join(sorted(SAVED)[:6])}, ...")
    read = entry[1].get(attr)
    if raw and read is not None and not _is_tensor_slot(fn.name, attr):
        read = None                   # (only saved tensors have a raw slot)
    if raw and read is not None:
        return SavedTensor(fn, attr)
    if read is None:
        raise GradvizError(f"'{fn.name}' object has no attribute '{asked}'", kind=ATTRIBUTE,
                           hint="PyTorch's node has " + (", ".join(sorted(entry[1])) or
                                                         "no saved values"))
    value = _read(node, read)
    if value.__class__ is Tensor and node.freed:
        raise GradvizError(FREED_MESSAGE, kind=RUNTIME,
                           hint="pass retain_graph=True to backward() to read saved tensors "
                                "after it")
    return value


def _read(node: Tensor, read):
    args = node.args
    if node.op.name in ("mul", "add") and args[0].__class__ is not Tensor:
        args = args[::-1]             # `2 * x` is x.mul(2)
    return read(node, args)


def raw_saved_value(raw: SavedTensor):
    """What raw's slot holds (None: nothing saved), freed or not."""
    return _read(raw.fn.node, SAVED[raw.fn.name][1][raw.attr])
