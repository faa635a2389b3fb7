"""Tensor: a numpy array plus the autograd state PyTorch keeps beside it.

A Tensor is also a node of the recorded graph: it keeps the op that made it
and that op's inputs, so the graph is simply the set of tensors reachable
from a result. There are no closures and no back-references, so tensors form
a DAG with no reference cycles (the cyclic garbage collector has nothing to
do, unlike closure-based engines).
"""
from __future__ import annotations

import numpy as np

# numpy dtype -> the name PyTorch prints (torch.float32 ...)
DTYPE_NAMES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int64): "int64",
    np.dtype(np.int32): "int32",
    np.dtype(np.int16): "int16",
    np.dtype(np.int8): "int8",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.bool_): "bool",
    np.dtype(np.float16): "float16",
}
# numpy dtype -> PyTorch's ScalarType name (in its messages and legacy types)
SCALAR_TYPE_NAMES = dict(zip(DTYPE_NAMES, ("Float", "Double", "Long", "Int", "Short", "Char", "Byte",
                                           "Bool", "Half")))
# numpy dtype -> the C++ type PyTorch's kernels name in some messages
CPP_TYPE_NAMES = dict(zip(DTYPE_NAMES, ("float", "double", "long int", "int", "short int",
                                        "signed char", "unsigned char", "bool",
                                        "c10::Half")))
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16))

# ops whose result is a view of their input's memory (when numpy made one):
# once that memory is written in place, PyTorch names the view's grad_fn
# REBASED_GRAD_FN (Tape.before_inplace marks the tensor "rebased")
VIEW_OPS = frozenset({"index", "reshape", "view", "flatten", "transpose", "T", "t", "unsqueeze",
                      "squeeze", "expand", "permute", "unfold", "diagonal",
                      "as_strided", "slice_inverse"})
REBASED_GRAD_FN = "AsStridedBackward0"
# the memo entry through which copy.deepcopy copies a tensor (pycopy)
DEEPCOPY = "deepcopy of a tensor"


def grad_dtype(t):
    """The numpy dtype t's .grad takes: t's own unless the program set
    x.grad_dtype (None there: whatever dtype the gradient has)."""
    m = t.meta
    return m["grad_dtype"] if m is not None and "grad_dtype" in m else t.data.dtype


def is_view(t) -> bool:
    """t was made by a view op and shares its input's memory, as in PyTorch
    (basic indexing, reshape, transpose, ...; not advanced indexing). An
    in-place shape change (x.t_(), inplace_views) is recorded as its view
    op: a view only where the tensor changed was one."""
    if not (t.recorded and t.op.name in VIEW_OPS and t.data.base is not None
            and not (t.params and t.params.get("advanced"))):
        return False
    if t.meta is None:
        return True
    if "unsafe_piece" in t.meta:
        return False
    return "relaid" not in t.meta or is_view(t.args[0])


def unsafe_piece(t) -> bool:
    """t is a piece of torch.unsafe_split / unsafe_chunk: it shares its
    input's memory, but PyTorch does not track it as a view (no _base, a
    version counter of its own, a write into it leaves the input's grad_fn
    alone)."""
    return t.meta is not None and "unsafe_piece" in t.meta


class Tensor:
    """One value of the program and its node in the graph.

    Fields (slots, to keep ~300k nodes cheap):
      data          the numpy array (float32 / float64 / int64 / bool)
      requires_grad PyTorch's flag
      op            the OpDef that made it (None for creation and leaves)
      args          the op's arguments in order: Tensors (graph edges) and
                    Python numbers (constants shown on the op)
      params        the op's keyword parameters (dim=, keepdim=, ...)
      recorded      True when the op was recorded for backward (grad_fn set)
      freed         True once backward released the saved values
      grad          the .grad Tensor (leaves, or retain_grad() non-leaves)
      retains_grad  retain_grad() was called
      seq           creation index in the tape (a topological order)
      name          the DSL name it was last bound to (for display)
      span          the source span of the expression that made it
      meta          extra display facts: creator label, detached_from, ...

    Tape.apply and Tape.apply_pair set every slot themselves (without
    __init__, once per op): a new slot must be set there too.
    """

    __slots__ = ("data", "requires_grad", "op", "args", "params",
                 "recorded", "freed", "grad", "retains_grad", "seq", "name",
                 "span", "meta", "__weakref__")

    def __deepcopy__(self, memo):
        # copy.deepcopy of a program's value (pycopy): the run's copy of a
        # leaf, made on its tape; the memo carries it
        return memo[DEEPCOPY](self)

    def __init__(self, data: np.ndarray, requires_grad: bool = False):
        self.data = data
        self.requires_grad = requires_grad
        self.op = None
        self.args = ()
        self.params = None
        self.recorded = False
        self.freed = False
        self.grad = None
        self.retains_grad = False
        self.seq = -1
        self.name = None
        self.span = None
        self.meta = None

    # ---- facts PyTorch exposes --------------------------------------
    @property
    def is_leaf(self) -> bool:
        return not self.recorded

    @property
    def dtype_name(self) -> str:
        return DTYPE_NAMES[self.data.dtype]

    @property
    def is_float(self) -> bool:
        return self.data.dtype in FLOAT_DTYPES

    @property
    def grad_fn_name(self) -> str | None:
        if not self.recorded:
            return None
        if self.meta is not None:
            name = self.meta.get("rebased") or self.meta.get("grad_fn_name")
            if name:
                return name
        return self.op.grad_fn_for(self)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def __repr__(self) -> str:  # for debugging only; print() uses torchfmt
        return f"Tensor(seq={self.seq}, name={self.name}, shape={self.data.shape})"
