"""What torch's functions are as Python objects, where that is not a C
method of torch's function class (torch.add prints as <built-in method add
of type object at 0x...>, its type builtin_function_or_method): those
PyTorch writes in Python (torch.einsum, most of torch.nn.functional: type
'function', printed <function einsum at 0x...>), the C functions of its
modules (<built-in function gelu>) and the classes called as functions
(torch.device: type 'type', printed <class 'torch.device'>). Taken from
PyTorch 2.13 by module and name; the interpreter registers its Function
objects by where they sit in its module tree (register), and type(),
print() and error messages look them up here (kind_of)."""
from __future__ import annotations

from .functions import PYTHON_LEVEL

FUNCTION, BUILTIN, CLASS = "function", "builtin", "class"

# torch's functions written in Python, by module
PYTHON_FUNCTIONS = {
    # (the argument parser's list of torch's Python functions, less the
    # names it holds for Tensor methods and torch.nn.functional's losses)
    "torch": PYTHON_LEVEL - frozenset("""
    backward register_hook register_post_accumulate_grad_hook unflatten grad mse_loss
    cross_entropy binary_cross_entropy""".split()),
    "torch.nn.functional": frozenset("""
    adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d
    adaptive_max_pool3d affine_grid alpha_dropout fractional_max_pool2d fractional_max_pool3d batch_norm binary_cross_entropy
    binary_cross_entropy_with_logits celu cosine_embedding_loss cross_entropy ctc_loss
    dropout dropout1d dropout2d elu embedding embedding_bag feature_alpha_dropout fold
    gaussian_nll_loss glu grid_sample group_norm gumbel_softmax hardsigmoid hardswish
    hardtanh hinge_embedding_loss huber_loss instance_norm interpolate kl_div l1_loss
    layer_norm leaky_relu log_softmax lp_pool1d lp_pool2d margin_ranking_loss max_pool1d
    max_pool2d max_pool3d max_unpool1d max_unpool2d max_unpool3d mish mse_loss
    multilabel_soft_margin_loss nll_loss normalize pad poisson_nll_loss relu relu6
    rms_norm rrelu selu sigmoid silu smooth_l1_loss soft_margin_loss softmax softmin
    softsign tanh tanhshrink threshold triplet_margin_loss unfold upsample
    upsample_bilinear upsample_nearest""".split()),
    "torch.nn.init": frozenset("""
    calculate_gain constant_ kaiming_normal_ kaiming_uniform_ normal_ ones_ uniform_
    xavier_normal_ xavier_uniform_ zeros_""".split()),
    "torch.nn.utils.rnn": frozenset("""
    pack_padded_sequence pack_sequence pad_packed_sequence pad_sequence""".split()),
    "torch.nn.utils": frozenset("""
    clip_grad_norm_ clip_grad_value_ clip_grads_with_norm_ get_total_norm
    parameters_to_vector vector_to_parameters remove_spectral_norm remove_weight_norm
    spectral_norm weight_norm""".split()),
    "torch.nn.utils.parametrizations": frozenset("""
    orthogonal spectral_norm weight_norm""".split()),
    "torch.nn.utils.parametrize": frozenset("""
    is_parametrized register_parametrization remove_parametrizations""".split()),
    "torch.nn.modules.module": frozenset("""
    register_module_backward_hook register_module_forward_hook
    register_module_forward_pre_hook register_module_full_backward_hook
    register_module_full_backward_pre_hook""".split()),
    "torch.autograd": frozenset("""
    backward grad""".split()),
    "torch.autograd.functional": frozenset("""
    hessian hvp jacobian jvp vhp vjp""".split()),
    "torch.autograd.forward_ad": frozenset("""
    enter_dual_level exit_dual_level make_dual unpack_dual""".split()),
    "torch.autograd.graph": frozenset("""
    disable_saved_tensors_hooks""".split()),
    "torch.utils.data": frozenset("""
    default_collate random_split""".split()),
    "torch.distributions": frozenset("""
    kl_divergence""".split()),
    "torch.distributions.kl": frozenset("""
    kl_divergence""".split()),
    "torch.func": frozenset("""
    functional_call grad grad_and_value hessian jacfwd jacrev jvp linearize
    stack_module_state vjp vmap""".split()),
    "torch.cuda": frozenset("""
    current_device device_count empty_cache get_device_name is_available is_initialized
    manual_seed manual_seed_all max_memory_allocated max_memory_reserved memory_allocated
    memory_reserved synchronize""".split()),
    "torch.backends.cudnn": frozenset("""
    is_available version""".split()),
    "torch.backends.mps": frozenset("""
    is_built""".split()),
    "torch.accelerator": frozenset("""
    current_accelerator device_count is_available""".split()),
}

# the C functions of PyTorch's modules, printed <built-in function NAME>
# (F.logsigmoid by its C name); torch.linalg's and torch.special's are its
# own (linalg_inv, special_erf), and Python's math module's all are
BUILTIN_FUNCTIONS = {
    "torch": frozenset("""
    get_default_dtype get_num_threads is_anomaly_check_nan_enabled is_anomaly_enabled
    is_grad_enabled is_inference_mode_enabled set_anomaly_enabled set_num_threads""".split()),
    "torch.nn.functional": frozenset("""
    avg_pool2d avg_pool3d gelu linear logsigmoid one_hot scaled_dot_product_attention softplus
    softshrink""".split()),
}
C_NAMES = {"logsigmoid": "log_sigmoid"}
# the modules whose functions all are C functions, by their prefix in the C name
C_MODULES = {"math": "", "torch.special": "special_"}

# the Python functions that print with another name than their own: those
# made by a decorator (torch.unique dispatches on return_inverse) or another's
_BOOLEAN_DISPATCH = "boolean_dispatch.<locals>.fn"
PRINTED_NAMES = {
    "torch": {"unique": _BOOLEAN_DISPATCH, "unique_consecutive": _BOOLEAN_DISPATCH,
              "lu": _BOOLEAN_DISPATCH, "symeig": "_symeig"},
    "torch.nn.functional": {**dict.fromkeys(("max_pool1d", "max_pool2d", "max_pool3d",
                                             "adaptive_max_pool1d", "adaptive_max_pool2d",
                                             "adaptive_max_pool3d", "fractional_max_pool2d",
                                             "fractional_max_pool3d"), _BOOLEAN_DISPATCH),
                            "threshold": "_threshold"},
    "torch.nn.utils": {"get_total_norm": "_get_total_norm",
                       "clip_grads_with_norm_": "_clip_grads_with_norm_"},
}

# the classes a program calls as functions, by their qualified names
CLASSES = {
    "torch": {"iinfo": "torch.iinfo", "finfo": "torch.finfo", "device": "torch.device",
              **{mode: f"torch.autograd.grad_mode.{mode}"
                 for mode in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode")}},
    "torch.autograd": {"Variable": "torch.autograd.variable.Variable",
                       "detect_anomaly": "torch.autograd.anomaly_mode.detect_anomaly",
                       "set_detect_anomaly": "torch.autograd.anomaly_mode.set_detect_anomaly"},
    "torch.autograd.forward_ad": {"dual_level": "torch.autograd.forward_ad.dual_level"},
    "torch.autograd.graph": {"saved_tensors_hooks": "torch.autograd.graph.saved_tensors_hooks",
                             "save_on_cpu": "torch.autograd.graph.save_on_cpu"},
}

# a Function object -> (FUNCTION, BUILTIN or CLASS; the name it prints with)
KINDS: dict = {}


def register(module, module_cls, function_cls) -> None:
    """Note the kind of each function of ``module`` (a Module of the
    interpreter's tree) and of the modules inside it."""
    path = module.name
    functions = PYTHON_FUNCTIONS.get(path, frozenset())
    builtins = BUILTIN_FUNCTIONS.get(path, frozenset())
    classes = CLASSES.get(path, {})
    printed = PRINTED_NAMES.get(path, {})
    prefix = C_MODULES.get(path)
    for name, v in module.members.items():
        if v.__class__ is module_cls and v.name.startswith(path + "."):
            register(v, module_cls, function_cls)
        elif v.__class__ is not function_cls:
            continue
        elif name in functions:
            KINDS[v] = (FUNCTION, printed.get(name, name))
        elif name in builtins:
            KINDS[v] = (BUILTIN, C_NAMES.get(name, name))
        elif prefix is not None:
            KINDS[v] = (BUILTIN, prefix + name)
        elif name in classes:
            KINDS[v] = (CLASS, classes[name])


# what a grad mode makes of a value that is no function (torch.no_grad()([1.0])),
# the interpreter's Function of this name
DECORATED = "decorate_context"


def kind_of(fn) -> tuple | None:
    """(kind, name) of a Function, or None for a C method of torch's
    function class (or a function gradviz has of its own)."""
    if fn.name == DECORATED:
        return FUNCTION, f"context_decorator.<locals>.{DECORATED}"
    return KINDS.get(fn)


def own_name(fn) -> str | None:
    """fn.__name__ of a Function this module knows, where the name it prints
    with is not it (F.logsigmoid: log_sigmoid; F.max_pool2d prints as
    boolean_dispatch's inner function but is named max_pool2d); None for a
    class or a function it does not know."""
    kind = kind_of(fn)
    if kind is None or kind[0] == CLASS:
        return None
    if kind[1] == _BOOLEAN_DISPATCH:
        return fn.name.rsplit(".", 1)[-1]
    return kind[1].rsplit(".", 1)[-1]
