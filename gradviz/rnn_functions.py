"""torch's functional forms of the recurrent layers, what nn.RNN, nn.GRU,
nn.LSTM and their cells call inside:

    out, h_n, c_n = torch.lstm(x, (h0, c0), params, has_biases, num_layers,
                               dropout, train, bidirectional, batch_first)
    out, h_n = torch.gru(x, h0, params, ...)      # rnn_tanh, rnn_relu alike
    h, c = torch.lstm_cell(x, (h, c), w_ih, w_hh, b_ih=None, b_hh=None)
    h = torch.gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None)

params lists the weights as the layers keep them (for each layer and
direction: w_ih, w_hh, then b_ih, b_hh with biases, then w_hr for an LSTM
whose h is narrower than its c: projections). The full forms also take a
packed sequence's rows: torch.lstm(data, batch_sizes, hx, params,
has_biases, num_layers, dropout, train, bidirectional). They run as the
layers run (recurrent.py), so their graphs are the layers' graphs; their
checks are ATen's, fewer than the layers' own.
"""
from __future__ import annotations

from . import functions as F
from . import recurrent as R
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, GradvizError

_COMMON = ("bool has_biases, int num_layers, float dropout, bool train, bool bidirectional")


def _full_forms(state: str) -> tuple:
    """PyTorch's two forms of torch.lstm / gru / rnn_*: packed rows, a sequence."""
    return forms(f"(Tensor data, Tensor batch_sizes, {state} hx, tuple of Tensors params, "
                 f"{_COMMON})",
                 f"(Tensor input, {state} hx, tuple of Tensors params, {_COMMON}, "
                 "bool batch_first)")


_PACKED = ("data", "batch_sizes", "hx", "params", "has_biases", "num_layers", "dropout",
           "train", "bidirectional")
_SEQUENCE = ("input", "hx", "params", "has_biases", "num_layers", "dropout", "train",
             "bidirectional", "batch_first")
_HINT = "the params are a layer's, in order: list(nn.LSTM(...).parameters())"


def _bound(mode: str, args: tuple, kw: dict) -> dict:
    """The call's arguments by name, in the form the parser took (the
    packed one has a tensor of batch sizes where the other has hx, or, for
    the one-tensor states, hx where the other has the params)."""
    at = 1 if mode == "LSTM" else 2
    packed = len(args) > at and F.is_tensor(args[at]) or "batch_sizes" in kw
    names = _PACKED if packed else _SEQUENCE
    return {**dict(zip(names, args)), **kw, "packed": packed}


def _layer(mode: str, a: dict, hx) -> R.RNNBase:
    """A layer holding params, as the C++ reads them (gather_params): 2 or 4
    tensors per layer and direction, 3 or 5 for an LSTM with projections."""
    params = list(a["params"])
    projections = mode == "LSTM" and hx[0].data.shape[-1] != hx[1].data.shape[-1]
    per = (4 if a["has_biases"] else 2) + (1 if projections else 0)
    directions = 2 if a["bidirectional"] else 1
    if len(params) % per:
        raise GradvizError("got an incorrect number of RNN parameters", kind=RUNTIME, hint=_HINT)
    if len(params) // per < a["num_layers"] * directions:
        raise GradvizError("Expected more weights in stacked_rnn", kind=RUNTIME, hint=_HINT)
    names = []
    for layer in range(a["num_layers"]):
        for d in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if d else "")
            names += [f"weight_ih{suffix}", f"weight_hh{suffix}"] + \
                ([f"bias_ih{suffix}", f"bias_hh{suffix}"] if a["has_biases"] else []) + \
                ([f"weight_hr{suffix}"] if projections else [])
    weights = dict(zip(names, params))
    w_hh = weights["weight_hh_l0"]
    w_hr = weights.get("weight_hr_l0")
    cls = {"LSTM": R.LSTM, "GRU": R.GRU}.get(mode, R.RNN)
    layer = cls(mode, (weights["weight_ih_l0"].data.shape[1],
                       w_hh.data.shape[0] // R.GATES[mode], a["num_layers"]),
                (a["has_biases"], bool(a.get("batch_first", False)), float(a["dropout"]),
                 bool(a["bidirectional"])), weights,
                {"RNN_TANH": "tanh", "RNN_RELU": "relu"}.get(mode),
                w_hr.data.shape[0] if w_hr is not None else 0)
    layer.training = a["train"]
    return layer


def _check_states(mode: str, a: dict, hx) -> None:
    """One state per layer and direction (ATen's stacked_rnn), two states for an LSTM."""
    if mode == "LSTM" and len(hx) != 2:
        raise GradvizError("lstm expects two hidden states", kind=RUNTIME,
                           hint="hx is the pair (h0, c0)")
    layers = a["num_layers"] * (2 if a["bidirectional"] else 1)
    for h in (hx if mode == "LSTM" else (hx,)):
        if h.data.ndim and h.data.shape[0] != layers:
            raise GradvizError("Expected more hidden states in stacked_rnn", kind=RUNTIME,
                               hint="the states are (num_layers * num_directions, batch, "
                                    "hidden_size)")


def _check_dims(mode: str, x, hx) -> None:
    """A sequence and states of 3 dims (time, batch, features): where one
    has 2, ATen's kernels fail reading a dim it has not (the oneDNN LSTM's
    and the native cells' words). gradviz refuses other numbers of dims
    with the same error."""
    if x.data.ndim == 3 and all(h.data.ndim == 3 for h in (hx if mode == "LSTM" else (hx,))):
        return
    low, dim = (-2, 2) if mode == "LSTM" else (-1, 1)
    raise GradvizError(f"Dimension out of range (expected to be in range of [{low}, {dim - 1}], "
                       f"but got {dim})", kind="IndexError",
                       hint="the input is (steps, batch, features), the states (num_layers * "
                            "num_directions, batch, hidden_size)")


def _full(mode: str):
    name = mode.lower()

    def f(rt, *args, **kw):
        a = _bound(mode, args, kw)
        hx = tuple(a["hx"]) if mode == "LSTM" else a["hx"]
        if not a["packed"]:
            _check_dims(mode, a["input"], hx)
        _check_states(mode, a, hx)
        layer = _layer(mode, a, hx)
        if a["packed"]:
            sizes = [int(n) for n in a["batch_sizes"].data.tolist()]
            out, h_n = layer._native(rt, a["data"], hx, sizes)
        elif mode == "LSTM" and not layer.proj_size and R._uses_onednn(rt, a["input"]):
            out, h_n = layer._onednn_lstm(rt, a["input"], hx)
        else:
            out, h_n = layer._native(rt, a["input"], hx)
        return (out, *h_n) if mode == "LSTM" else (out, h_n)
    f.__name__ = name
    return checked(f, name, _full_forms("tuple of Tensors" if mode == "LSTM" else "Tensor"),
                   method=False)


# ---- the cells: one step --------------------------------------------------------

def _cell_forms(state: str) -> tuple:
    return forms(f"(Tensor input, {state} hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih = None, "
                 "Tensor? b_hh = None)")


def _size(t, dim: int) -> int:
    """t.size(dim) as ATen's checks read it, with its error for a dim t has not."""
    n = max(t.data.ndim, 1)
    if dim >= t.data.ndim:
        raise GradvizError(f"Dimension out of range (expected to be in range of [{-n}, "
                           f"{n - 1}], but got {dim})", kind="IndexError",
                           hint="a cell takes a batch: input (batch, input_size), state "
                                "(batch, hidden_size)")
    return t.data.shape[dim]


def _check_input(x, w_ih) -> None:
    if _size(x, 1) != _size(w_ih, 1):
        raise GradvizError(f"input has inconsistent input_size: got {_size(x, 1)} expected "
                           f"{_size(w_ih, 1)}", kind=RUNTIME,
                           hint="w_ih is (gates * hidden_size, input_size)")


def _check_hidden(x, h, hidden_size: int, k: int) -> None:
    if _size(x, 0) != _size(h, 0):
        raise GradvizError(f"Input batch size {_size(x, 0)} doesn't match hidden{k} batch size "
                           f"{_size(h, 0)}", kind=RUNTIME,
                           hint="the state has a row per example of the batch")
    if _size(h, 1) != hidden_size:
        raise GradvizError(f"hidden{k} has inconsistent hidden_size: got {_size(h, 1)}, "
                           f"expected {hidden_size}", kind=RUNTIME,
                           hint="w_hh is (gates * hidden_size, hidden_size)")


def _check_weights(gates: int, w_ih, w_hh) -> None:
    hidden = _size(w_hh, 1)
    for what, w in (("weight_ih", w_ih), ("weight_hh", w_hh)):
        if _size(w, 0) != gates * hidden:
            raise GradvizError(f"{what} first dim must be {gates} * hidden_size = "
                               f"{gates * hidden}, but got {_size(w, 0)}", kind=RUNTIME,
                               hint=f"{what} is ({gates} * hidden_size, ...)")


def _cell(mode: str):
    """ATen's cell: its checks in its order (the simple cells' weights
    first, the others' last), then the step as nn's cells run it."""
    name = mode.lower() + "_cell"
    gates = R.GATES[mode]

    def f(rt, input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        states = tuple(hx) if mode == "LSTM" else (hx,)
        if mode == "LSTM" and len(states) != 2:
            raise GradvizError("lstm_cell expects two hidden states", kind=RUNTIME,
                               hint="hx is the pair (h, c)")
        simple = mode.startswith("RNN")
        if simple:
            _check_weights(gates, w_ih, w_hh)
        _check_input(input, w_ih)
        for k, h in enumerate(states):
            _check_hidden(input, h, _size(w_hh, 1), k)
        if not simple:
            _check_weights(gates, w_ih, w_hh)
        return R._cell_step(rt, mode, input, states if mode == "LSTM" else hx,
                            w_ih, w_hh, b_ih, b_hh)
    f.__name__ = name
    return checked(f, name, _cell_forms("tuple of Tensors" if mode == "LSTM" else "Tensor"),
                   method=False)


MODES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU"}
FUNCTIONS = {**{name: _full(mode) for name, mode in MODES.items()},
             **{f"{name}_cell": _cell(mode) for name, mode in MODES.items()}}
