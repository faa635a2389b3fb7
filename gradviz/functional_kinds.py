"""What kind of function each of torch.nn.functional's is in PyTorch, for
how it prints, the name of its type and its __name__.

Most are Python functions of their own name (<function relu at 0x...>, of
type 'function'). Some are torch's own functions, methods of
torch._C._VariableFunctions that print as torch.conv2d does; some are
torch._C._nn's built-in functions, under the name they give themselves
(F.logsigmoid is log_sigmoid); these two kinds are of type
'builtin_function_or_method'. The max pools are boolean_dispatch's inner
function (printed by its qualified name), and F.threshold is the Python
function _threshold, which its argument errors name.
"""
from __future__ import annotations

TORCH_METHODS = frozenset((
    "adaptive_avg_pool1d", "avg_pool1d", "bilinear", "channel_shuffle", "conv1d", "conv2d",
    "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cosine_similarity", "hardshrink", "pairwise_distance", "pixel_shuffle", "pixel_unshuffle",
    "prelu"))
# torch._C._nn's, by the names they give themselves
C_FUNCTIONS = {"avg_pool2d": "avg_pool2d", "avg_pool3d": "avg_pool3d", "gelu": "gelu",
               "logsigmoid": "log_sigmoid", "one_hot": "one_hot", "softplus": "softplus",
               "softshrink": "softshrink",
               "scaled_dot_product_attention": "scaled_dot_product_attention"}
DISPATCHED = frozenset((
    "max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool3d", "fractional_max_pool2d", "fractional_max_pool3d"))
# Python functions whose __name__ is another than the name F gives them
PYTHON_NAMES = {"threshold": "_threshold"}


def is_builtin(name: str) -> bool:
    """Whether F's function of this name is a C function in PyTorch."""
    return name in TORCH_METHODS or name in C_FUNCTIONS


def is_python_function(fn, members: dict) -> bool:
    """Whether the interpreter's function value fn is a Python function in
    PyTorch (of type 'function'): most of torch.nn.functional's (members:
    that module's), and what a grad mode wraps a value that is no function in
    (torch.no_grad([1.0]))."""
    if fn.name == "decorate_context":
        return True
    return members.get(fn.name) is fn and not is_builtin(fn.name)


def own_name(name: str) -> str:
    """The __name__ of F's function of this name."""
    return C_FUNCTIONS.get(name) or PYTHON_NAMES.get(name, name)


def text(name: str, address: str, torch_address: str) -> str:
    """How F's function of this name prints (address: its own, as the
    interpreter gives it; torch_address: the torch module's, which torch's
    methods print)."""
    if name in TORCH_METHODS:
        return f"<built-in method {name} of type object at {torch_address}>"
    if name in C_FUNCTIONS:
        return f"<built-in function {C_FUNCTIONS[name]}>"
    shown = "boolean_dispatch.<locals>.fn" if name in DISPATCHED else own_name(name)
    return f"<function {shown} at {address}>"
