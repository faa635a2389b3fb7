"""torch.nn's recurrent layers: nn.RNN (tanh or relu), nn.GRU, nn.LSTM and
the cells nn.RNNCell, nn.GRUCell, nn.LSTMCell, as d2l's concise RNN,
GRU and LSTM sections use them.

    rnn_layer = nn.RNN(len(vocab), num_hiddens)
    Y, state = rnn_layer(X, state)          # X: (steps, batch, len(vocab))

Parameters are PyTorch's (weight_ih_l0, weight_hh_l0, bias_ih_l0,
bias_hh_l0, ... with _reverse for a second direction), drawn from the
seed as reset_parameters() draws them: uniform in +-1/sqrt(hidden_size),
parameter after parameter in registration order.

A call runs as PyTorch's CPU kernels run it, so the graph has PyTorch's
nodes. nn.RNN, nn.GRU (and nn.LSTM in float64) are the native _rnn_impl:
per layer and direction, the input side at once (linear over the whole
sequence, unbind), then per step the hidden side (addmm), the cell's
chunk / sigmoid / tanh / mul / add, and a stack of the steps' outputs; the
last hidden states stacked into h_n. nn.LSTM in float32 runs as oneDNN's
kernel: one MkldnnRnnLayerBackward0 node per layer and direction (see
ops/recurrent.py), but for PyTorch's exceptions, which take the native
cells: an LSTM with proj_size (h through weight_hr, an mm per step) and a
PackedSequence input (any layer: PyTorch's PackedLayer, each step a narrow
of the packed rows, the state narrowed as sequences end). The cells are the
same cell ops on one step.
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from . import modules as M
from .arg_parser import DIDNT_MATCH
from .errors import ATTRIBUTE, FORMS_MESSAGE_CHARS, INDEX, RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .rnn_utils import PackedSequence, narrow_rows as _rows
from .selection import f_index_select
from .tensor import Tensor

_RNN = "torch.nn.modules.rnn"
# gates per mode: the rows of weight_ih are that many blocks of hidden_size
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}
_F32 = np.dtype(np.float32)


def _dtype_text(dt: np.dtype) -> str:
    return f"torch.{dt.name}"


def _draw(rt, shapes: list, dt: np.dtype, hidden: int) -> list:
    """The parameters of the given shapes, drawn one after another as
    reset_parameters() draws them: init.uniform_(w, -stdv, stdv)."""
    stdv = 1.0 / math.sqrt(hidden) if hidden > 0 else 0
    return [M._parameter(rt, shape, dt, stdv) for shape in shapes]


class _Recurrent:
    """What the recurrent layers and cells share: parameters by PyTorch's
    names (m.weight_ih_l0), reached as attributes."""

    __slots__ = ()

    def __getattr__(self, attr):
        # (only for what is not a slot: the parameters by their names)
        try:
            return object.__getattribute__(self, "weights")[attr]
        except KeyError:
            raise AttributeError(attr) from None

    def __setattr__(self, attr, value):
        # a parameter set by its name (weight_norm's hook setting weight_hh_l0)
        # is the one the next call reads, as PyTorch's RNNBase.__setattr__
        # keeps its _flat_weights
        if attr in (getattr(self, "weights", None) or ()):
            self.weights[attr] = value
            return
        object.__setattr__(self, attr, value)

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return [(k, p) for k, p in self.weights.items() if p is not None]

    def _mark(self, rt, start: int, what: str) -> None:
        """The nodes made since `start` are this layer's (its step `what`):
        the tables and the picture say so."""
        if self.label is not None:
            M.mark_made(rt, start, f"{self.label} {what}")


class RNNBase(_Recurrent):
    """nn.RNN / nn.GRU / nn.LSTM(input_size, hidden_size, num_layers=1,
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)."""

    __slots__ = ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                 "dropout", "bidirectional", "nonlinearity", "weights", "training", "label",
                 "proj_size")
    name = "RNN"
    type_name = f"{_RNN}.RNN"
    SETTINGS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                "bidirectional", "mode")

    def __init__(self, mode, sizes: tuple, flags: tuple, weights: dict, nonlinearity=None,
                 proj_size=0):
        self.mode, self.proj_size = mode, proj_size
        self.input_size, self.hidden_size, self.num_layers = sizes
        self.bias, self.batch_first, self.dropout, self.bidirectional = flags
        self.weights, self.nonlinearity = weights, nonlinearity
        self.training = True
        self.label = None

    @property
    def ATTRIBUTES(self) -> tuple:
        extra = ("nonlinearity",) if self.nonlinearity is not None else ("proj_size",) \
            if self.mode == "LSTM" else ()
        return self.SETTINGS + extra + ("all_weights",) + tuple(self.weights)

    @property
    def all_weights(self) -> list:
        names = list(self.weights)
        per = (4 if self.bias else 2) + (1 if self.proj_size else 0)
        return [[self.weights[n] for n in names[i:i + per]] for i in range(0, len(names), per)]

    @property
    def text(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return f"{self.name}({s})"

    def layer_weights(self, index: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh) of layer-and-direction `index` (biases None without bias)."""
        suffix = self._suffix(index)
        return tuple(self.weights.get(f"{k}{suffix}") for k in ("weight_ih", "weight_hh",
                                                                 "bias_ih", "bias_hh"))

    def projection(self, index: int):
        """weight_hr of layer-and-direction `index` (an LSTM with proj_size), or None."""
        return self.weights.get(f"weight_hr{self._suffix(index)}")

    def _suffix(self, index: int) -> str:
        directions = 2 if self.bidirectional else 1
        return f"_l{index // directions}" + ("_reverse" if index % directions else "")

    def _project(self, rt, index: int, state):
        """An LSTM cell's h through weight_hr (matmul_hr: MmBackward0), with proj_size."""
        w_hr = self.projection(index)
        if w_hr is None:
            return state
        h = rt.apply(OPS["matmul"], (state[0], rt.apply(OPS["t"], (w_hr,))))
        return h, state[1]

    # ---- a call: forward(input, hx=None) -----------------------------------

    def call(self, rt, args: list, kwargs: dict | None):
        x, hx = _forward_args(self, args, kwargs, "hx")
        if x.__class__ is PackedSequence:
            return self._call_packed(rt, x, hx)
        x = F._need_tensor(x, self.name.lower(), 1, "input")
        lstm = self.mode == "LSTM"
        nd = x.data.ndim
        if nd not in (2, 3):
            raise GradvizError(f"{self.name}: Expected input to be 2D or 3D, got {nd}D "
                               + ("tensor instead" if self.name == "RNN" else "instead"),
                               kind=VALUE, hint=_INPUT_HINT)
        batched = nd == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            x = F.f_unsqueeze(rt, x, batch_dim)
        if hx is not None:
            hx = self._check_state(rt, hx, batched)
        batch = x.data.shape[batch_dim]
        if hx is None:
            hx = self._zero_state(rt, x, batch)
        self._check_input(x, hx, batch)
        start = len(rt.tape.nodes)
        if lstm and self.proj_size and _uses_onednn(rt, x):
            F.warn_once(rt, x, "LSTM with projections is not supported with oneDNN. Using "
                              "default implementation.")
        if lstm and not self.proj_size and _uses_onednn(rt, x):
            out, h_n = self._onednn_lstm(rt, x, hx)
        else:
            out, h_n = self._native(rt, x, hx)
        if not batched:
            out = F.f_squeeze(rt, out, batch_dim)
            h_n = tuple(F.f_squeeze(rt, h, 1) for h in h_n) if lstm else F.f_squeeze(rt, h_n, 1)
        if self.label is not None:
            M.mark_made(rt, start, self.label)
        return (out, h_n)

    def _check_state(self, rt, hx, batched: bool):
        """hx as PyTorch's forward checks it (dims), unsqueezed for an
        unbatched input."""
        want = 3 if batched else 2
        if self.mode == "LSTM":
            if F.is_tensor(hx) and hx.data.ndim and hx.data.shape[0] < 2:
                # (PyTorch's forward reads hx[1] of what it was given)
                raise GradvizError(f"index 1 is out of bounds for dimension 0 with size "
                                   f"{hx.data.shape[0]}", kind="IndexError", hint=_LSTM_STATE)
            if not isinstance(hx, (tuple, list)) or len(hx) != 2 or \
                    not all(F.is_tensor(h) for h in hx):
                raise GradvizError("LSTM's hx must be a tuple (h_0, c_0) of two tensors",
                                   kind=TYPE, hint=_LSTM_STATE)
            if hx[0].data.ndim != want or hx[1].data.ndim != want:
                raise GradvizError(
                    f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx and cx "
                    f"should also be {want}-D but got ({hx[0].data.ndim}-D, "
                    f"{hx[1].data.ndim}-D) tensors", kind=RUNTIME, hint=_STATE_HINT)
            return tuple(hx) if batched else tuple(F.f_unsqueeze(rt, h, 1) for h in hx)
        hx = F._need_tensor(hx, self.name.lower(), 2, "hx")
        if hx.data.ndim != want:
            raise GradvizError(
                f"For {'batched 3-D' if batched else 'unbatched 2-D'} input, hx should also be "
                f"{want}-D but got {hx.data.ndim}-D tensor", kind=RUNTIME, hint=_STATE_HINT)
        return hx if batched else F.f_unsqueeze(rt, hx, 1)

    def _state_shapes(self, batch: int) -> tuple:
        """The shapes of h_0 (proj_size wide with projections) and c_0."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        return ((layers, batch, self.proj_size or self.hidden_size),
                (layers, batch, self.hidden_size))

    def _zero_state(self, rt, x: Tensor, batch: int):
        """hx when none is given: zeros (a pair of them for an LSTM)."""
        made = [F._leaf(rt, np.zeros(shape, x.data.dtype), False, "zeros")
                for shape in self._state_shapes(batch)]
        return tuple(made) if self.mode == "LSTM" else made[0]

    def _call_packed(self, rt, packed, hx):
        """forward(PackedSequence): the packed rows step by step (PyTorch's
        PackedLayer), a PackedSequence out; the states in the sorted order
        inside (index_select by sorted_indices) and back in the batch's
        order after (unsorted_indices)."""
        data, sizes = packed.data, packed.steps()
        if hx is None:
            hx = self._zero_state(rt, data, sizes[0])
        else:
            self._check_packed_state(hx)
            hx = _permuted(rt, hx, packed.sorted_indices)
        if data.data.ndim != 2:
            raise GradvizError(f"input must have 2 dimensions, got {data.data.ndim}",
                               kind=RUNTIME, hint="a PackedSequence's data is (rows, features)")
        if self.mode != "LSTM":
            self._check_input(data, hx, sizes[0])
        else:
            # LSTM.forward checks nothing of a PackedSequence's state: PyTorch's
            # kernel reads past a state of the wrong size (memory errors, or
            # garbage); gradviz refuses it as an unpacked call's check does
            self._check_states(hx, sizes[0])
        start = len(rt.tape.nodes)
        out, h_n = self._native(rt, data, hx, sizes)
        if self.label is not None:
            M.mark_made(rt, start, self.label)
        return (PackedSequence(out, packed.batch_sizes, packed.sorted_indices,
                               packed.unsorted_indices),
                _permuted(rt, h_n, packed.unsorted_indices))

    def _check_packed_state(self, hx) -> None:
        """A state that a PackedSequence's forward cannot use, refused as
        PyTorch refuses it (an LSTM's _VF.lstm wants a pair of tensors, the
        others' check_hidden_size calls hx.size())."""
        if self.mode != "LSTM":
            if not F.is_tensor(hx):
                raise GradvizError(f"'{F.arg_type_name(hx)}' object has no attribute 'size'",
                                   kind=ATTRIBUTE, hint=_STATE_HINT + ": one tensor")
            return
        if not isinstance(hx, (tuple, list)):
            raise GradvizError(self._packed_lstm_forms_error(F.arg_type_name(hx)), kind=TYPE,
                               hint=_LSTM_STATE, max_chars=FORMS_MESSAGE_CHARS)
        if len(hx) != 2:
            raise GradvizError("lstm expects two hidden states", kind=RUNTIME, hint=_LSTM_STATE)
        for h in hx:
            h = F._need_tensor(h, "lstm", 3, "hx")
            if h.data.ndim < 3:
                n = max(h.data.ndim, 1)
                raise GradvizError(f"Dimension out of range (expected to be in range of [{-n}, "
                                   f"{n - 1}], but got 2)", kind=INDEX, hint=_STATE_HINT)

    def _packed_lstm_forms_error(self, state: str) -> str:
        """_VF.lstm's parser error for a packed input with a state of type
        state (not a pair): neither of its forms takes the call, each
        mismatch marked as PyTorch's message marks it."""
        params = "list of [" + ", ".join(["Parameter"] * len(self.own_parameters())) + "]"
        return (
            f"lstm() received an invalid combination of arguments - got (Tensor, Tensor, {state}, "
            "list, bool, int, float, bool, bool), but expected one of:\n"
            " * (Tensor data, Tensor batch_sizes, tuple of Tensors hx, tuple of Tensors params, "
            "bool has_biases, int num_layers, float dropout, bool train, bool bidirectional)\n"
            f"{DIDNT_MATCH}arguments have invalid types: (Tensor, Tensor, !{state}!, !{params}!, "
            "bool, int, float, bool, bool)\n"
            " * (Tensor input, tuple of Tensors hx, tuple of Tensors params, bool has_biases, "
            "int num_layers, float dropout, bool train, bool bidirectional, bool batch_first)\n"
            f"{DIDNT_MATCH}arguments have invalid types: (Tensor, !Tensor!, !{state}!, "
            f"!{params}!, !bool!, int, !float!, bool, bool)\n")

    def _check_input(self, x: Tensor, hx, batch: int) -> None:
        """check_forward_args: the input's dtype and size, the states' sizes."""
        w_dt = self.weights["weight_ih_l0"].data.dtype
        if x.data.dtype != w_dt:
            raise GradvizError(
                f"RNN input dtype ({_dtype_text(x.data.dtype)}) does not match weight dtype "
                f"({_dtype_text(w_dt)}). Convert input: input.to({_dtype_text(w_dt)}), or "
                f"convert model: model.to({_dtype_text(x.data.dtype)})", kind=VALUE,
                hint="one-hot inputs are int64: X.to(torch.float32), as d2l's RNNModel does")
        if x.data.shape[-1] != self.input_size:
            raise GradvizError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.data.shape[-1]}", kind=RUNTIME,
                               hint=f"the last dimension of the input holds the "
                                    f"{self.input_size} features of a step")
        self._check_states(hx, batch)

    def _check_states(self, hx, batch: int) -> None:
        """check_hidden_size: each state's shape for this batch."""
        states = (("hidden[0]", hx[0]), ("hidden[1]", hx[1])) if self.mode == "LSTM" \
            else (("hidden", hx),)
        for (what, h), shape in zip(states, self._state_shapes(batch)):
            if h.data.shape != shape:
                raise GradvizError(f"Expected {what} size {shape}, got {list(h.data.shape)}",
                                   kind=RUNTIME,
                                   hint="the state is (num_layers * num_directions, batch, "
                                        "hidden_size): make it for this batch size")

    def _native(self, rt, x: Tensor, hx, sizes: list | None = None):
        """PyTorch's _rnn_impl (RNN, GRU, and LSTM off oneDNN); with sizes
        (a PackedSequence's batch_sizes) x is the packed rows, run as its
        PackedLayer runs them."""
        lstm = self.mode == "LSTM"
        packed = sizes is not None
        if self.batch_first and not packed:
            x = F.f_transpose(rt, x, 0, 1)
        if lstm:
            hs, cs = F.f_unbind(rt, hx[0], 0), F.f_unbind(rt, hx[1], 0)
            states = list(zip(hs, cs))
        else:
            states = list(F.f_unbind(rt, hx, 0))
        directions = 2 if self.bidirectional else 1
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                index = layer * directions + d
                w_ih, w_hh, b_ih, b_hh = self.layer_weights(index)
                ih = _linear(rt, layer_input, w_ih, b_ih)
                run = self._packed_direction if packed else self._direction
                out, h = run(rt, ih, sizes, states[index], index, bool(d))
                outs.append(out)
                finals.append(h)
            layer_input = outs[0] if directions == 1 else \
                rt.apply(OPS["cat"], tuple(outs), {"dim": -1 if packed else 2})
            layer_input = self._dropout(rt, layer_input, layer)
        out = layer_input
        if lstm:
            h_n = (rt.apply(OPS["stack"], tuple(h for h, _ in finals), {"dim": 0}),
                   rt.apply(OPS["stack"], tuple(c for _, c in finals), {"dim": 0}))
        else:
            h_n = rt.apply(OPS["stack"], tuple(finals), {"dim": 0})
        if self.batch_first and not packed:
            out = F.f_transpose(rt, out, 0, 1)
            if not lstm and out.recorded:   # (RNN's and GRU's in place: transpose_)
                out.meta = {**(out.meta or {}), "grad_fn_name": "TransposeBackward1"}
        return out, h_n

    def _step(self, rt, x_t: Tensor, h, index: int, what: str):
        """One cell step from the input side x_t (its linear made): the new
        state, and the step's output (h)."""
        start = len(rt.tape.nodes)
        _, w_hh, _, b_hh = self.layer_weights(index)
        h = CELLS[self.mode](rt, x_t, h, w_hh, b_hh)
        if self.mode == "LSTM":
            h = self._project(rt, index, h)
        self._mark(rt, start, what)
        return h, (h[0] if self.mode == "LSTM" else h)

    def _direction(self, rt, ih: Tensor, sizes, h, index: int, reverse: bool):
        """A layer's direction over a (steps, batch, gates) input side: the
        steps' outputs stacked, and the last state."""
        steps = list(F.f_unbind(rt, ih, 0))
        order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
        produced = {}
        for t in order:
            h, produced[t] = self._step(rt, steps[t], h, index,
                                        f"step {t}" + (" reverse" if reverse else ""))
        if not produced:
            raise GradvizError("Expected sequence length to be larger than 0 in RNN",
                               kind=RUNTIME, hint="give at least one time step")
        return rt.apply(OPS["stack"], tuple(produced[t] for t in sorted(produced)),
                        {"dim": 0}), h

    def _packed_direction(self, rt, ih: Tensor, sizes: list, h, index: int, reverse: bool):
        """A layer's direction over packed rows (PackedLayer, or
        ReversedPackedLayer): step t takes the next sizes[t] rows; a sequence
        that has ended leaves its state aside (its h_n), as the batch
        narrows. The outputs concatenated, and the last states."""
        offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        steps = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
        outs = {}
        if reverse:
            # from the shortest batch, states joining as the batch widens
            whole, last = h, sizes[-1]
            h = _hidden(rt, whole, 0, last)
            for t in steps:
                if sizes[t] > last:
                    h = _joined(rt, [h, _hidden(rt, whole, last, sizes[t])])
                x_t = _rows(rt, ih, offsets[t], offsets[t + 1])
                last = sizes[t]
                h, outs[t] = self._step(rt, x_t, h, index, f"step {t} reverse")
            return rt.apply(OPS["cat"], tuple(outs[t] for t in sorted(outs)), {"dim": 0}), h
        ended, last = [], sizes[0]
        for t in steps:
            x_t = _rows(rt, ih, offsets[t], offsets[t + 1])
            if sizes[t] < last:
                ended.append(_hidden(rt, h, sizes[t], last))
                h = _hidden(rt, h, 0, sizes[t])
            last = sizes[t]
            h, outs[t] = self._step(rt, x_t, h, index, f"step {t}")
        ended.append(h)
        return (rt.apply(OPS["cat"], tuple(outs[t] for t in sorted(outs)), {"dim": 0}),
                _joined(rt, ended[::-1]))

    def _dropout(self, rt, x: Tensor, layer: int) -> Tensor:
        """Between layers, in training: at::dropout, as F.dropout draws it."""
        if self.dropout != 0 and self.training and layer < self.num_layers - 1:
            return M.f_dropout(rt, x, self.dropout, True)
        return x

    def _onednn_lstm(self, rt, x: Tensor, hx):
        """mkldnn_rnn: a layer-and-direction at a time, one node each."""
        if self.batch_first:
            x = F.f_transpose(rt, x, 0, 1)
            if not x.data.flags.c_contiguous:       # .contiguous()
                x = F.contiguous_copy(rt, x)
        directions = 2 if self.bidirectional else 1
        hy, cy = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                index = layer * directions + d
                w_ih, w_hh, b_ih, b_hh = self.layer_weights(index)
                if b_ih is None:
                    b_ih = F._leaf(rt, np.zeros(w_ih.data.shape[0], w_ih.data.dtype), False,
                                   "zeros")
                    b_hh = F._leaf(rt, np.zeros(w_hh.data.shape[0], w_hh.data.dtype), False,
                                   "zeros")
                h0, c0 = (rt.apply(OPS["index"], (s,), {"index": (index,), "advanced": False,
                                                        "grad_fn": "SelectBackward0"})
                          for s in hx)
                if layer_input.data.shape[0] == 0:
                    raise GradvizError("Expected sequence length to be larger than 0 in RNN",
                                       kind=RUNTIME, hint="give at least one time step")
                ins = (layer_input, w_ih, w_hh, b_ih, b_hh, h0, c0)
                made = [rt.apply(OPS["mkldnn_rnn_layer"], ins, {"reverse": bool(d), "out": k})
                        for k in range(3)]
                outs.append(made[0])
                hy.append(made[1])
                cy.append(made[2])
            layer_input = outs[0] if directions == 1 else \
                rt.apply(OPS["cat"], tuple(outs), {"dim": -1})
            layer_input = self._dropout(rt, layer_input, layer)
        out = layer_input
        h_n = (rt.apply(OPS["stack"], tuple(hy), {"dim": 0}),
               rt.apply(OPS["stack"], tuple(cy), {"dim": 0}))
        if self.batch_first:
            out = F.f_transpose(rt, out, 0, 1)
        return out, h_n


def _hidden(rt, h, start: int, stop: int):
    """hidden_slice: rows start:stop of a state (of h and of c, an LSTM's)."""
    if isinstance(h, tuple):
        return tuple(_rows(rt, part, start, stop) for part in h)
    return _rows(rt, h, start, stop)


def _joined(rt, states: list):
    """hidden_concat: the states' rows one after another (at::cat, even of one)."""
    if isinstance(states[0], tuple):
        return tuple(rt.apply(OPS["cat"], tuple(s[k] for s in states), {"dim": 0})
                     for k in range(len(states[0])))
    return rt.apply(OPS["cat"], tuple(states), {"dim": 0})


def _permuted(rt, hx, order):
    """permute_hidden: the state's batch (dim 1) in the given order
    (index_select), unless there is none to apply."""
    if order is None:
        return hx
    if isinstance(hx, (tuple, list)):
        return tuple(f_index_select(rt, h, 1, order) for h in hx)
    return f_index_select(rt, hx, 1, order)


def _uses_onednn(rt, x: Tensor) -> bool:
    """PyTorch's CPU LSTM runs oneDNN's kernel on float32 inputs (float64
    ones the native cells). The gradient check's float64 run counts as
    float32, so that its graph is the program's."""
    dt = x.data.dtype
    return x.data.size != 0 and (dt == _F32 or (rt.tape.wide_floats and
                                                dt == rt.tape.default_float))


_INPUT_HINT = ("the input is (steps, batch, features), (batch, steps, features) with "
               "batch_first=True, or (steps, features) unbatched")
_LSTM_STATE = ("an LSTM's state is a pair (H, C): lstm(X, (H, C)); d2l's begin_state makes "
               "the pair")
_STATE_HINT = "the state is (num_layers * num_directions, batch, hidden_size)"


def _linear(rt, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """at::linear as the layers call it: addmm on a 2-d input; on a 3-d
    contiguous one with a bias, a view to 2-d around addmm; otherwise
    matmul, then the bias added (in place, AddBackward0)."""
    if x.data.ndim == 2 or (b is not None and x.data.flags.c_contiguous):
        return M.f_linear(rt, x, w, b)
    y = rt.apply(OPS["matmul"], (x, rt.apply(OPS["t"], (w,))))
    return y if b is None else rt.binary("+", y, b)


# ---- the cells: one step, the input side given (x_t: its linear already) ----
# Each is PyTorch's cell with pre_compute_input (the layers) or not (the
# nn.*Cell modules: ih, the input's linear, made here by the caller).

def _chunks(rt, x: Tensor, n: int) -> list:
    """x.unsafe_chunk(n, 1): UnsafeSplitBackward0 pieces."""
    size = x.data.shape[1] // n
    return list(F._pieces(rt, x, [(k * size, (k + 1) * size) for k in range(n)], 1,
                          "UnsafeSplitBackward0"))


_ACTIVATIONS = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}


def _simple_cell(act: str):
    def cell(rt, ih, h, w_hh, b_hh):
        # linear_hh(hidden).add_(ih), then the nonlinearity
        return rt.apply(OPS[act], (rt.binary("+", _linear(rt, h, w_hh, b_hh), ih),))
    return cell


def _gru_cell(rt, ih, h, w_hh, b_hh):
    ig = _chunks(rt, ih, 3)
    hg = _chunks(rt, _linear(rt, h, w_hh, b_hh), 3)
    reset = rt.apply(OPS["sigmoid"], (rt.binary("+", hg[0], ig[0]),))
    update = rt.apply(OPS["sigmoid"], (rt.binary("+", hg[1], ig[1]),))
    new = rt.apply(OPS["tanh"], (rt.binary("+", ig[2], rt.binary("*", hg[2], reset)),))
    # (hidden - new_gate).mul_(input_gate).add_(new_gate)
    return rt.binary("+", rt.binary("*", rt.binary("-", h, new), update), new)


def _lstm_cell(rt, ih, hc, w_hh, b_hh):
    return _lstm_gates(rt, rt.binary("+", _linear(rt, hc[0], w_hh, b_hh), ih), hc[1])


def _lstm_gates(rt, gates, c):
    """(h, c) from the gates' sum (input, forget, cell, output) and c."""
    i, f, g, o = _chunks(rt, gates, 4)
    i, f = rt.apply(OPS["sigmoid"], (i,)), rt.apply(OPS["sigmoid"], (f,))
    g, o = rt.apply(OPS["tanh"], (g,)), rt.apply(OPS["sigmoid"], (o,))
    c_new = rt.binary("+", rt.binary("*", f, c), rt.binary("*", i, g))
    return rt.binary("*", o, rt.apply(OPS["tanh"], (c_new,))), c_new


CELLS = {"RNN_TANH": _simple_cell("tanh"), "RNN_RELU": _simple_cell("relu"), "GRU": _gru_cell,
         "LSTM": _lstm_cell}


class RNN(RNNBase):
    __slots__ = ()


class GRU(RNNBase):
    __slots__ = ()
    name = "GRU"
    type_name = f"{_RNN}.GRU"


class LSTM(RNNBase):
    __slots__ = ()
    name = "LSTM"
    type_name = f"{_RNN}.LSTM"


class RNNCellBase(_Recurrent):
    """nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh'),
    nn.GRUCell / nn.LSTMCell(input_size, hidden_size, bias=True): one step,
    called on (batch, input_size) or (input_size,) and the state."""

    __slots__ = ("mode", "input_size", "hidden_size", "bias", "nonlinearity", "weights",
                 "training", "label")
    name = "RNNCell"
    type_name = f"{_RNN}.RNNCell"

    def __init__(self, mode, input_size, hidden_size, bias, weights, nonlinearity=None):
        self.mode, self.input_size, self.hidden_size, self.bias = \
            mode, input_size, hidden_size, bias
        self.weights, self.nonlinearity = weights, nonlinearity
        self.training = True
        self.label = None

    @property
    def ATTRIBUTES(self) -> tuple:
        return ("input_size", "hidden_size", "bias") + \
            (("nonlinearity",) if self.nonlinearity is not None else ()) + tuple(self.weights)

    @property
    def text(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.nonlinearity not in (None, "tanh"):
            s += f", nonlinearity={self.nonlinearity}"
        return f"{self.name}({s})"

    def call(self, rt, args: list, kwargs: dict | None):
        x, hx = _forward_args(self, args, kwargs, "hx")
        x = F._need_tensor(x, self.name, 1, "input")
        lstm = self.mode == "LSTM"
        if self.mode is None:
            raise GradvizError(f"Unknown nonlinearity: {self.nonlinearity}", kind=RUNTIME,
                               hint="nonlinearity='tanh' (the default) or 'relu'")
        if x.data.ndim not in (1, 2):
            raise GradvizError(f"{self.name}: Expected input to be 1D or 2D, got "
                               f"{x.data.ndim}D instead", kind=VALUE,
                               hint="a cell takes one step: (batch, input_size) or (input_size,)")
        if hx is not None:
            parts = hx if lstm and isinstance(hx, (tuple, list)) else (hx,)
            if lstm and len(parts) != 2:
                raise GradvizError("LSTMCell's hx must be a tuple (h, c) of two tensors",
                                   kind=TYPE, hint="cell(x, (h, c))")
            for k, h in enumerate(parts):
                h = F._need_tensor(h, self.name, 2, "hx")
                if h.data.ndim not in (1, 2):
                    what = f"hx[{k}]" if lstm else "hidden"
                    raise GradvizError(f"{self.name}: Expected {what} to be 1D or 2D, got "
                                       f"{h.data.ndim}D instead", kind=VALUE,
                                       hint="the state is (batch, hidden_size)")
        batched = x.data.ndim == 2
        if not batched:
            x = F.f_unsqueeze(rt, x, 0)
        w_ih, w_hh = self.weights["weight_ih"], self.weights["weight_hh"]
        b_ih, b_hh = self.weights.get("bias_ih"), self.weights.get("bias_hh")
        if hx is None:
            zeros = F._leaf(rt, np.zeros((x.data.shape[0], self.hidden_size), x.data.dtype),
                            False, "zeros")
            hx = (zeros, zeros) if lstm else zeros
        elif not batched:
            hx = tuple(F.f_unsqueeze(rt, h, 0) for h in hx) if lstm else \
                F.f_unsqueeze(rt, hx, 0)
        start = len(rt.tape.nodes)
        self._check_sizes(x, hx)
        out = _cell_step(rt, self.mode, x, hx, w_ih, w_hh, b_ih, b_hh)
        if not batched:
            out = tuple(F.f_squeeze(rt, h, 0) for h in out) if lstm else F.f_squeeze(rt, out, 0)
        self._mark(rt, start, "step")
        return out

    def _check_sizes(self, x: Tensor, hx) -> None:
        """The C++ cell's checks of the input's and the states' sizes."""
        dt = self.weights["weight_ih"].data.dtype
        if x.data.shape[1] != self.input_size:
            raise GradvizError(f"input has inconsistent input_size: got {x.data.shape[1]} "
                               f"expected {self.input_size}", kind=RUNTIME,
                               hint=f"a step's input has {self.input_size} features")
        for k, h in enumerate(hx if self.mode == "LSTM" else (hx,)):
            if h.data.shape[0] != x.data.shape[0]:
                raise GradvizError(f"Input batch size {x.data.shape[0]} doesn't match hidden{k} "
                                   f"batch size {h.data.shape[0]}", kind=RUNTIME,
                                   hint="the state has a row per example of the batch")
            if h.data.ndim < 2 or h.data.shape[1] != self.hidden_size:
                raise GradvizError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{h.data.shape[1] if h.data.ndim > 1 else 1}, expected "
                                   f"{self.hidden_size}", kind=RUNTIME,
                                   hint=f"the state has hidden_size = {self.hidden_size} columns")
        if x.data.dtype != dt:
            raise GradvizError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{F.type_word(x.data.dtype)} and {F.type_word(dt)}", kind=RUNTIME,
                               hint="one-hot inputs are int64: x.to(torch.float32)")


def _cell_step(rt, mode, x, hx, w_ih, w_hh, b_ih, b_hh):
    """One step of the C++ cell (no input precomputed): the input's linear
    first for GRU, the hidden one first for the others, as they run."""
    if mode == "GRU":
        ih = _linear(rt, x, w_ih, b_ih)
        return _gru_cell(rt, ih, hx, w_hh, b_hh)
    h = hx[0] if mode == "LSTM" else hx
    hh = _linear(rt, h, w_hh, b_hh)
    ih = _linear(rt, x, w_ih, b_ih)
    if mode == "LSTM":
        return _lstm_gates(rt, rt.binary("+", hh, ih), hx[1])
    return rt.apply(OPS[_ACTIVATIONS[mode]], (rt.binary("+", hh, ih),))


class RNNCell(RNNCellBase):
    __slots__ = ()


class GRUCell(RNNCellBase):
    __slots__ = ()
    name = "GRUCell"
    type_name = f"{_RNN}.GRUCell"


class LSTMCell(RNNCellBase):
    __slots__ = ()
    name = "LSTMCell"
    type_name = f"{_RNN}.LSTMCell"


CLASSES = (RNN, GRU, LSTM, RNNCell, GRUCell, LSTMCell)


def _forward_args(m, args: list, kwargs: dict | None, state: str) -> tuple:
    """forward(input, hx=None)'s arguments, with Python's errors."""
    kwargs = dict(kwargs or {})
    values = list(args)
    for k in ("input", state):
        if k in kwargs:
            if len(values) > ("input", state).index(k):
                raise GradvizError(f"{m.name}.forward() got multiple values for argument '{k}'",
                                   kind=TYPE)
            values.append(kwargs.pop(k))
    if kwargs:
        raise GradvizError(f"{m.name}.forward() got an unexpected keyword argument "
                           f"'{next(iter(kwargs))}'", kind=TYPE,
                           hint="call it as layer(X) or layer(X, state)")
    if not values:
        raise GradvizError(f"{m.name}.forward() missing 1 required positional argument: 'input'",
                           kind=TYPE, hint="call it as layer(X) or layer(X, state)")
    if len(values) > 2:
        raise GradvizError(f"{m.name}.forward() takes from 2 to 3 positional arguments but "
                           f"{len(values) + 1} were given", kind=TYPE,
                           hint="call it as layer(X) or layer(X, state)")
    return values[0], values[1] if len(values) > 1 else None


# ---- making them ---------------------------------------------------------------

def _int_arg(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise GradvizError(f"{name} should be of type int, got: {type(v).__name__}", kind=TYPE,
                           hint=f"{name} is a whole number")
    if v <= 0:
        raise GradvizError(f"{name} must be greater than zero", kind=VALUE,
                           hint=f"{name} is at least 1")
    return v


def _as_float(v) -> None:
    """Python's float(v) refusing v (a string that is no number, None, a
    list): its error; numbers and tensors are checked after."""
    if F.is_tensor(v) or isinstance(v, (int, float)):
        return
    try:
        float(v)
    except (TypeError, ValueError) as exc:
        raise GradvizError(str(exc), kind=type(exc).__name__,
                           hint="dropout=0.2: the chance a layer's output is zeroed") from None


def _bool_arg(name: str, v) -> bool:
    if not isinstance(v, bool):
        raise GradvizError(f"{name} should be of type bool, got: {type(v).__name__}", kind=TYPE,
                           hint=f"{name}=True or {name}=False")
    return v


def _make_layer(cls, mode_of):
    def make(rt, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
             dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None,
             nonlinearity="tanh"):
        mode = mode_of(nonlinearity)
        _as_float(dropout)      # (RNNBase keeps float(dropout) before it checks it)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout <= 1:
            raise GradvizError("dropout should be a number in range [0, 1] representing the "
                               "probability of an element being zeroed", kind=VALUE,
                               hint="dropout=0.2: the chance a layer's output is zeroed")
        bias = _bool_arg("bias", bias)
        batch_first = _bool_arg("batch_first", batch_first)
        input_size = _int_arg("input_size", input_size)
        hidden_size = _int_arg("hidden_size", hidden_size)
        # (RNNBase compares num_layers <= 0, and only its loop over the
        # layers, after the projection's checks, needs an int: range(2.5))
        if F.at_most_zero(num_layers, "num_layers is a whole number"):
            raise GradvizError("num_layers must be greater than zero", kind=VALUE,
                               hint="num_layers is at least 1")
        _check_proj_size(proj_size, hidden_size)
        if not isinstance(num_layers, int):
            raise GradvizError(f"'{type(num_layers).__name__}' object cannot be interpreted as "
                               "an integer", kind=TYPE, hint="num_layers is a whole number")
        if device is not None:
            F.check_device(device)
        dt = M._float_dtype(rt, dtype)
        directions = 2 if bidirectional else 1
        rt.tape.room_for(num_layers * directions * 2, "layers")     # (two weights or more each)
        gates = GATES[mode] * hidden_size
        shapes, names = [], []
        real_hidden = proj_size or hidden_size      # h's size: proj_size with projections
        for layer in range(num_layers):
            for d in range(directions):
                size = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes += [(gates, size), (gates, real_hidden)] + \
                    ([(gates,), (gates,)] if bias else []) + \
                    ([(proj_size, hidden_size)] if proj_size else [])
                names += [f"weight_ih{suffix}", f"weight_hh{suffix}"] + \
                    ([f"bias_ih{suffix}", f"bias_hh{suffix}"] if bias else []) + \
                    ([f"weight_hr{suffix}"] if proj_size else [])
        weights = dict(zip(names, _draw(rt, shapes, dt, hidden_size)))
        m = cls(mode, (input_size, hidden_size, num_layers), (bias, batch_first, float(dropout),
                                                             bool(bidirectional)), weights,
                nonlinearity if cls is RNN else None, proj_size)
        if dropout > 0 and num_layers == 1:
            rt.log_event("user_warning", next(iter(weights.values())), message=(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}"))
        return m
    make.__name__ = cls.name
    return make


def _check_proj_size(proj_size, hidden_size: int) -> None:
    """RNNBase.__init__'s checks of proj_size (an LSTM's projection of h)."""
    if isinstance(proj_size, bool) or not isinstance(proj_size, int):
        raise GradvizError("empty(): argument 'size' failed to unpack the object at pos 2 with "
                           f"error \"type must be tuple of ints,but got "
                           f"{type(proj_size).__name__}\"", kind=TYPE,
                           hint="proj_size is a whole number below hidden_size")
    if proj_size < 0:
        raise GradvizError("proj_size should be a positive integer or zero to disable "
                           "projections", kind=VALUE, hint="proj_size=0 (none) or more")
    if proj_size >= hidden_size:
        raise GradvizError("proj_size has to be smaller than hidden_size", kind=VALUE,
                           hint=f"proj_size below hidden_size={hidden_size}")


def _rnn_mode(nonlinearity) -> str:
    if nonlinearity == "tanh":
        return "RNN_TANH"
    if nonlinearity == "relu":
        return "RNN_RELU"
    raise GradvizError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.",
                       kind=VALUE, hint="nonlinearity='tanh' (the default) or 'relu'")


def _fixed_mode(kind: str):
    """The mode of a GRU or LSTM (whatever nonlinearity says: it has none)."""
    return lambda nonlinearity: kind


def _no_other_keywords(kwargs: dict) -> None:
    if "proj_size" in kwargs:
        raise GradvizError("proj_size argument is only supported for LSTM, not RNN or GRU",
                           kind=VALUE, hint="leave proj_size out")
    if kwargs:
        raise GradvizError(f"RNNBase.__init__() got an unexpected keyword argument "
                           f"'{next(iter(kwargs))}'", kind=TYPE)


def make_rnn(rt, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
             batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
             **kwargs):
    """nn.RNN: its fourth argument is nonlinearity (not bias)."""
    _no_other_keywords(kwargs)
    return _make_layer(RNN, _rnn_mode)(rt, input_size, hidden_size, num_layers, bias,
                                       batch_first, dropout, bidirectional, 0, device, dtype,
                                       nonlinearity)


def make_gru(rt, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
             dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
    _no_other_keywords(kwargs)
    return _make_layer(GRU, _fixed_mode("GRU"))(rt, input_size, hidden_size, num_layers, bias,
                                              batch_first, dropout, bidirectional, 0, device,
                                              dtype)


def make_lstm(rt, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
              dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
    return _make_layer(LSTM, _fixed_mode("LSTM"))(rt, input_size, hidden_size, num_layers, bias,
                                                batch_first, dropout, bidirectional, proj_size,
                                                device, dtype)


def _make_cell(cls, chunks: int):
    def make(rt, input_size, hidden_size, bias=True, *rest, device=None, dtype=None, **kw):
        nonlinearity = "tanh"
        if cls is RNNCell:              # RNNCell(input_size, hidden_size, bias, nonlinearity)
            if rest:
                nonlinearity, rest = rest[0], rest[1:]
            nonlinearity = kw.pop("nonlinearity", nonlinearity)
        if rest or kw:
            raise GradvizError(f"{cls.name}.__init__() got an unexpected argument", kind=TYPE,
                               hint=f"nn.{cls.name}(input_size, hidden_size, bias=True"
                                    + (", nonlinearity='tanh')" if cls is RNNCell else ")"))
        if device is not None:
            F.check_device(device)
        dt = M._float_dtype(rt, dtype)
        # (weight_ih's shape is (chunks * hidden_size, input_size))
        for name, v, pos in (("hidden_size", hidden_size, 1), ("input_size", input_size, 2)):
            M._size_arg(cls.name, name, v, pos)
        gates = chunks * hidden_size
        shapes = [(gates, input_size), (gates, hidden_size)] + ([(gates,), (gates,)] if bias
                                                                 else [])
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
        weights = dict(zip(names, _draw(rt, shapes, dt, hidden_size)))
        # (PyTorch checks an RNNCell's nonlinearity only when it is called)
        mode = {"GRUCell": "GRU", "LSTMCell": "LSTM"}.get(cls.name) or \
            {v: k for k, v in _ACTIVATIONS.items()}.get(nonlinearity)
        return cls(mode, input_size, hidden_size, bias, weights,
                   nonlinearity if cls is RNNCell else None)
    make.__name__ = cls.name
    return make


MAKERS = {RNN.type_name: make_rnn, GRU.type_name: make_gru, LSTM.type_name: make_lstm,
          RNNCell.type_name: _make_cell(RNNCell, 1), GRUCell.type_name: _make_cell(GRUCell, 3),
          LSTMCell.type_name: _make_cell(LSTMCell, 4)}
