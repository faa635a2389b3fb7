"""PyTorch's argument checks for its functions with bool arguments: keepdim,
requires_grad, largest, descending, ...

Where PyTorch's C++ signature takes a bool, only a Python bool passes:
x.sum(1, keepdim=1) is its TypeError "sum(): argument 'keepdim' must be
bool, not int" ("(position 2)" when given positionally), and where several
forms could have taken the call (torch.mean, x.sort, x.any, torch.randn)
"received an invalid combination of arguments". Its argument parser also
words the calls that fit no form its own way ('logsumexp() missing 1
required positional arguments: "dim"', "sum() takes from 1 to 2 positional
arguments but 3 were given", x.sum(keepdim=True) without a dim). gradviz's
functions take any truth value and word such calls as Python does, so
install() wraps each function of the table below once with arg_parser's
check of PyTorch's forms, which runs before the function does. The table
also holds the most-called functions without bools (add, mul, pow, where,
view, cat, ...), for the same messages and PyTorch's argument names.
"""

from __future__ import annotations

import functools
import inspect

from . import arg_parser
from . import functions as F
from .arg_parser import forms

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# the options every factory takes after a * (requires_grad: bool? there:
# torch.ones(2, requires_grad=None) is torch.ones(2))
_FACTORY = ("torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool? pin_memory = False, bool? requires_grad = False")
OPTIONS = "*, Tensor out = None, " + _FACTORY
LIKE_OPTIONS = "*, torch.memory_format memory_format = None, " + _FACTORY
NEW_OPTIONS = ("*, torch.dtype dtype = None, torch.device device = None, "
               "bool? requires_grad = False, torch.layout layout = None, bool? pin_memory = False")
# (a generator of None is the default one: "?", which PyTorch does not print)
GENERATOR = "*, torch.Generator? generator, "


def _reduction(dim: str) -> tuple:
    """(torch.NAME's form, x.NAME's) of a reduction over dim."""
    return (forms(f"(Tensor input, {dim}, bool keepdim = False, *, Tensor out = None)"),
            forms(f"({dim}, bool keepdim = False)"))


def _sum_like(dim: str, out: str = "") -> tuple:
    # (torch.sum/prod/mean: a form without dim, where keepdim has no place;
    # sum's and mean's dim is "int[1]?", None too; prod's an int)
    return (forms(f"(Tensor input, *, torch.dtype dtype = None{out})",
                  f"(Tensor input, {dim}, bool keepdim = False, *, torch.dtype dtype = None, "
                  "Tensor out = None)"),
            forms("(*, torch.dtype dtype = None)",
                  f"({dim}, bool keepdim = False, *, torch.dtype dtype = None)"))


def _max_like() -> tuple:
    return (forms("(Tensor input, *, Tensor out = None)",
                  "(Tensor input, Tensor other, *, Tensor out = None)",
                  "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)"),
            forms("()", "(Tensor other)", "(int dim, bool keepdim = False)"))


def _any_like() -> tuple:
    return (forms("(Tensor input, *, Tensor out = None)",
                  "(Tensor input, tuple of ints dim = None, bool keepdim = False, *, "
                  "Tensor out = None)",
                  "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)"),
            forms("()", "(tuple of ints dim = None, bool keepdim = False)",
                  "(int dim, bool keepdim = False)"))


def _sort_like(stable: str, out: str, second_out: str) -> tuple:
    # (sort's stable is "bool?", taking None; argsort's a bool)
    return (forms(f"(Tensor input, *, {stable} stable, int dim = -1, bool descending = False, "
                  f"{out} out = None)",
                  f"(Tensor input, int dim = -1, bool descending = False{second_out})"),
            forms(f"(*, {stable} stable, int dim = -1, bool descending = False)",
                  "(int dim = -1, bool descending = False)"))


def _close() -> tuple:
    return (forms("(Tensor input, Tensor other, float rtol = 1e-05, float atol = 1e-08, "
                  "bool equal_nan = False)"),
            forms("(Tensor other, float rtol = 1e-05, float atol = 1e-08, "
                  "bool equal_nan = False)"))


# x.scatter's, x.scatter_reduce's and x.index_fill's forms (their in-place
# methods' too)
SCATTER_METHOD = forms(*[f"(int dim, Tensor index, {value}{reduce})"
                         for value in ("Tensor src", "Number value")
                         for reduce in ("", ", *, str reduce")])
SCATTER_REDUCE_METHOD = forms("(int dim, Tensor index, Tensor src, str reduce, *, "
                              "bool include_self = True)")
INDEX_FILL_METHOD = forms("(int dim, Tensor index, Tensor value)",
                          "(int dim, Tensor index, Number value)")


# name: (PyTorch's forms of torch.NAME, of x.NAME; None: no such form), as
# its "expected one of:" lists them (the named-dimension forms left out:
# gradviz has no named tensors); see arg_parser for how they are written
TABLE = {
    "sum": _sum_like("tuple of ints? dim"), "prod": _sum_like("int dim"),
    "mean": _sum_like("tuple of ints? dim", ", Tensor out = None"),
    "nansum": (forms("(Tensor input, tuple of ints dim = None, bool keepdim = False, *, "
                     "torch.dtype dtype = None, Tensor out = None)"),
               forms("(tuple of ints dim = None, bool keepdim = False, *, "
                     "torch.dtype dtype = None)")),
    **{name: _reduction("int dim = None") for name in ("argmax", "argmin")},
    **{name: _reduction("tuple of ints? dim = []") for name in ("amax", "amin")},
    "logsumexp": _reduction("tuple of ints dim"),
    "median": (forms("(Tensor input)", "(Tensor input, int dim, bool keepdim = False, *, "
                     "tuple of Tensors out = None)"),
               forms("()", "(int dim, bool keepdim = False)")),
    "max": _max_like(), "min": _max_like(), "any": _any_like(), "all": _any_like(),
    "sort": _sort_like("bool?", "tuple of Tensors", ", *, tuple of Tensors out = None"),
    "argsort": _sort_like("bool", "Tensor", ""),
    "topk": (forms("(Tensor input, int k, int dim = -1, bool largest = True, bool sorted = True, "
                   "*, tuple of Tensors out = None)"),
             forms("(int k, int dim = -1, bool largest = True, bool sorted = True)")),
    "isclose": _close(), "allclose": _close(),
    "requires_grad_": (None, forms("(bool requires_grad = True)")),
    # (no bools, but their arity: x.stride(0, 1), x.is_contiguous(0))
    "stride": (None, forms("(int? dim = None)")),
    "is_contiguous": (None, forms("(*, torch.memory_format memory_format = contiguous_format)")),
    # (torch.tensor's requires_grad is a bool, the other factories' a bool?)
    "tensor": (forms("(Object data, *, torch.dtype dtype = None, torch.device device = None, "
                     "bool requires_grad = False, bool? pin_memory = False)"), None),
    "as_tensor": (forms("(PyObject data, *, torch.dtype dtype = None, "
                        "torch.device device = None)"), None),
    "asarray": (forms("(PyObject obj, *, torch.dtype dtype = None, torch.device device = None, "
                      "bool? copy = None, bool requires_grad = False)"), None),
    **{name: (forms(f"(tuple of ints size, {OPTIONS}, torch.memory_format memory_format = None)"),
              None) for name in ("ones", "zeros", "empty")},
    "full": (forms(f"(tuple of ints size, Number fill_value, {OPTIONS})"), None),
    **{name: (forms(f"(Tensor input, {LIKE_OPTIONS})"), None) for name in ("ones_like",
                                                                           "zeros_like")},
    "full_like": (forms(f"(Tensor input, Number fill_value, {LIKE_OPTIONS})"), None),
    **{name: (None, forms(f"(tuple of ints size, {NEW_OPTIONS})")) for name in ("new_ones",
                                                                               "new_zeros")},
    "new_full": (None, forms(f"(tuple of ints size, Number fill_value, {NEW_OPTIONS})")),
    "new_tensor": (None, forms("(Object data, *, torch.dtype dtype = None, "
                               "torch.device device = None, bool requires_grad = False)")),
    **{name: (forms(f"(tuple of ints size, {GENERATOR}{OPTIONS[3:]})",
                    f"(tuple of ints size, {OPTIONS})"), None) for name in ("rand", "randn")},
    "randint": (forms(f"(int high, tuple of ints size, {GENERATOR}{OPTIONS[3:]})",
                      f"(int high, tuple of ints size, {OPTIONS})",
                      f"(int low, int high, tuple of ints size, {GENERATOR}{OPTIONS[3:]})",
                      f"(int low, int high, tuple of ints size, {OPTIONS})"), None),
    "arange": (forms(f"(Number end, {OPTIONS})", f"(Number start, Number end, *, {_FACTORY})",
                     f"(Number start, Number end, Number step = 1, {OPTIONS})"), None),
    "eye": (forms(f"(int n, {OPTIONS})", f"(int n, int m, {OPTIONS})"), None),
    # (four forms by the types of start and end)
    # (add's and sub's deprecated forms put alpha before other)
    **{name: (forms("(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
                    numbers_as_tensors=True,
                    deprecated=("(Tensor input, Number alpha, Tensor other, *, "
                                "Tensor out = None)",)),
              forms("(Tensor other, *, Number alpha = 1)", numbers_as_tensors=True,
                    deprecated=("(Number alpha, Tensor other)",)))
       for name in ("add", "sub")},
    # (the comparisons: a tensor or a Number other; x.ge('a', y) fits neither)
    **{name: (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                    "(Tensor input, Number other, *, Tensor out = None)"),
              forms("(Tensor other)", "(Number other)"))
       for name in ("eq", "ne", "lt", "le", "gt", "ge")},
    "floor_divide": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                           "(Tensor input, Number other)"),
                     forms("(Tensor other)", "(Number other)")),
    "div_": (None, forms("(Tensor other)", "(Tensor other, *, str? rounding_mode)",
                         "(Number other, *, str? rounding_mode)", numbers_as_tensors=True)),
    "pow_": (None, forms("(Tensor exponent)", "(Number exponent)")),
    "bincount": (forms("(Tensor input, Tensor? weights = None, int minlength = 0)"),
                 forms("(Tensor? weights = None, int minlength = 0)")),
    "mul": (forms("(Tensor input, Tensor other, *, Tensor out = None)", numbers_as_tensors=True),
            forms("(Tensor other)", numbers_as_tensors=True)),
    "div": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                  "(Tensor input, Tensor other, *, str? rounding_mode, Tensor out = None)",
                  "(Tensor input, Number other, *, str? rounding_mode)", numbers_as_tensors=True),
            forms("(Tensor other)", "(Tensor other, *, str? rounding_mode)",
                  "(Number other, *, str? rounding_mode)", numbers_as_tensors=True)),
    "divide": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                     "(Tensor input, Tensor other, *, str? rounding_mode, Tensor out = None)",
                     "(Tensor input, Number other)", "(Tensor input, Number other, *, "
                     "str? rounding_mode)", numbers_as_tensors=True),
               forms("(Tensor other)", "(Tensor other, *, str? rounding_mode)", "(Number other)",
                     "(Number other, *, str? rounding_mode)", numbers_as_tensors=True)),
    "true_divide": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                          "(Tensor input, Number other)", numbers_as_tensors=True),
                    forms("(Tensor other)", "(Number other)", numbers_as_tensors=True)),
    **{name: (forms("(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
                    "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)"),
              forms("(Tensor min = None, Tensor max = None)",
                    "(Number min = None, Number max = None)"))
       for name in ("clamp", "clip")},
    "pow": (forms("(Tensor input, Tensor exponent, *, Tensor out = None)",
                  "(Number self, Tensor exponent, *, Tensor out = None)",
                  "(Tensor input, Number exponent, *, Tensor out = None)"),
            forms("(Tensor exponent)", "(Number exponent)")),
    "where": (forms("(Tensor condition)",
                    "(Tensor condition, Tensor input, Tensor other, *, Tensor out = None)",
                    "(Tensor condition, Number self, Tensor other)",
                    "(Tensor condition, Tensor input, Number other)",
                    "(Tensor condition, Number self, Number other)"),
              forms("(Tensor condition, Tensor other)", "(Tensor condition, Number other)")),
    **{name: (forms("(tuple of Tensors tensors, int dim = 0, *, Tensor out = None)"), None)
       for name in ("cat", "stack")},
    "reshape": (forms("(Tensor input, tuple of ints shape)"), forms("(tuple of ints shape)")),
    "view": (None, forms("(torch.dtype dtype)", "(tuple of ints size)")),
    "permute": (forms("(Tensor input, tuple of ints dims)"), forms("(tuple of ints dims)")),
    **{name: (forms(f"(Tensor input, Tensor {second}, *, Tensor out = None)"),
              forms(f"(Tensor {second})"))
       for name, second in (("matmul", "other"), ("dot", "tensor"), ("mv", "vec"),
                            ("outer", "vec2"))},
    "mm": (forms("(Tensor input, Tensor mat2, *, Tensor out = None)",
                 "(Tensor input, Tensor mat2, torch.dtype out_dtype, *, Tensor out = None)"),
           forms("(Tensor mat2)")),
    **{name: (forms(f"(Tensor input, Tensor {bound}, *, Tensor out = None)",
                    f"(Tensor input, Number {bound}, *, Tensor out = None)"),
              forms(f"(Tensor {bound})", f"(Number {bound})"))
       for name, bound in (("clamp_max", "max"), ("clamp_min", "min"))},
    "matrix_power": (forms("(Tensor input, int n, *, Tensor out = None)"), forms("(int n)")),
    # (the forms of a Number first: "self", gradviz's input)
    **{name: (forms(f"(Tensor input, Tensor {second}, *, Tensor out = None)",
                    f"(Number self, Tensor {second}, *, Tensor out = None)",
                    f"(Tensor input, Number {second}, *, Tensor out = None)"),
              forms(f"(Tensor {second})", f"(Number {second})"))
       for name, second in (("float_power", "exponent"), ("xlogy", "other"))},
    "remainder": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                        "(Number self, Tensor other)",
                        "(Tensor input, Number other, *, Tensor out = None)"),
                  forms("(Tensor other)", "(Number other)")),
    "fmod": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                   "(Tensor input, Number other, *, Tensor out = None)"),
             forms("(Tensor other)", "(Number other)")),
    "scatter": (forms(*[f"(Tensor input, int dim, Tensor index, {value}, *, {reduce}"
                        "Tensor out = None)" for value in ("Tensor src", "Number value")
                        for reduce in ("", "str reduce, ")]), SCATTER_METHOD),
    "scatter_": (None, SCATTER_METHOD),
    "scatter_add": (forms("(Tensor input, int dim, Tensor index, Tensor src, *, "
                          "Tensor out = None)"), forms("(int dim, Tensor index, Tensor src)")),
    "scatter_add_": (None, forms("(int dim, Tensor index, Tensor src)")),
    "scatter_reduce": (forms("(Tensor input, int dim, Tensor index, Tensor src, str reduce, *, "
                             "bool include_self = True, Tensor out = None)"),
                       SCATTER_REDUCE_METHOD),
    "scatter_reduce_": (None, SCATTER_REDUCE_METHOD),
    "index_fill": (forms("(Tensor input, int dim, Tensor index, Tensor value)",
                         "(Tensor input, int dim, Tensor index, Number value)"),
                   INDEX_FILL_METHOD),
    "index_fill_": (None, INDEX_FILL_METHOD),
    "narrow": (forms("(Tensor input, int dim, Tensor start, int length)",
                     "(Tensor input, int dim, int start, int length)"),
               forms("(int dim, Tensor start, int length)", "(int dim, int start, int length)")),
    **{name: (forms(*[f"(Tensor input, {q} q, int dim = None, bool keepdim = False, *, "
                        'str interpolation = "linear", Tensor out = None)'
                        for q in ("Tensor", "float")]),
              forms(*[f"({q} q, int dim = None, bool keepdim = False, *, "
                      'str interpolation = "linear")' for q in ("Tensor", "float")]))
       for name in ("quantile", "nanquantile")},
    "repeat_interleave": (forms("(Tensor input, Tensor repeats, int dim = None, *, "
                                "int output_size = None)",
                                "(Tensor repeats, *, int output_size = None)",
                                "(Tensor input, int repeats, int dim = None, *, "
                                "int output_size = None)"),
                          forms("(Tensor repeats, int dim = None, *, int output_size = None)",
                                "(int repeats, int dim = None, *, int output_size = None)")),
    # (their deprecated forms put value first)
    **{name: (forms("(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, "
                    "Tensor out = None)",
                    deprecated=("(Tensor input, Number value, Tensor tensor1, Tensor tensor2, *, "
                                "Tensor out = None)",)),
              forms("(Tensor tensor1, Tensor tensor2, *, Number value = 1)",
                    deprecated=("(Number value, Tensor tensor1, Tensor tensor2)",)))
       for name in ("addcdiv", "addcmul")},
    "geometric_": (None, forms("(float p, *, torch.Generator generator = None)")),
    "exponential_": (None, forms("(float lambd = 1, *, torch.Generator generator = None)")),
    # (torch.fill_ comes later, from alias_fns: its method's forms only)
    "fill_": (None, forms("(Tensor value)", "(Number value)")),
    "masked_fill": (forms("(Tensor input, Tensor mask, Tensor value)",
                          "(Tensor input, Tensor mask, Number value)"),
                    forms("(Tensor mask, Tensor value)", "(Tensor mask, Number value)")),
    "masked_fill_": (None, forms("(Tensor mask, Tensor value)", "(Tensor mask, Number value)")),
    "masked_scatter": (forms("(Tensor input, Tensor mask, Tensor source)"),
                       forms("(Tensor mask, Tensor source)")),
    "masked_scatter_": (None, forms("(Tensor mask, Tensor source)")),
    "put": (forms("(Tensor input, Tensor index, Tensor source, bool accumulate = False)"),
            forms("(Tensor index, Tensor source, bool accumulate = False)")),
    "put_": (None, forms("(Tensor index, Tensor source, bool accumulate = False)")),
    "index_reduce": (forms("(Tensor input, int dim, Tensor index, Tensor source, str reduce, *, "
                           "bool include_self = True, Tensor out = None)"),
                     forms("(int dim, Tensor index, Tensor source, str reduce, *, "
                           "bool include_self = True)")),
    "index_reduce_": (None, forms("(int dim, Tensor index, Tensor source, str reduce, *, "
                                  "bool include_self = True)")),
    "lerp": (forms("(Tensor input, Tensor end, Tensor weight, *, Tensor out = None)",
                   "(Tensor input, Tensor end, Number weight, *, Tensor out = None)"),
             forms("(Tensor end, Tensor weight)", "(Tensor end, Number weight)")),
    "linspace": (forms(*[f"({start} start, {end} end, int steps, {OPTIONS})"
                         for start, end in (("Tensor", "Tensor"), ("Number", "Tensor"),
                                            ("Tensor", "Number"), ("Number", "Number"))]), None),
    **{name: (forms(f"(Tensor input, {GENERATOR}{LIKE_OPTIONS[3:]})",
                    f"(Tensor input, {LIKE_OPTIONS})"), None)
       for name in ("rand_like", "randn_like")},
    "logspace": (forms(*[f"({start} start, {end} end, int steps, float base = 10.0, {OPTIONS})"
                         for start, end in (("Tensor", "Tensor"), ("Number", "Tensor"),
                                            ("Tensor", "Number"), ("Number", "Number"))]), None),
    # (a Number first: "self"; the method takes a Number or a Tensor)
    **{name: (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                    "(Number self, Tensor other)",
                    "(Tensor input, Number other, *, Tensor out = None)"),
              forms("(Tensor other)", "(Number other)"))
       for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
                    "bitwise_right_shift")},
    "copysign": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                       "(Tensor input, Number other, *, Tensor out = None)"),
                 forms("(Tensor other)", "(Number other)")),
    "rsub": (forms("(Tensor input, Tensor other, *, Number alpha = 1)",
                   "(Tensor input, Number other, Number alpha = 1)"), None),
    "xlogy_": (forms("(Tensor input, Tensor other)", "(Tensor input, Number other)"),
               forms("(Tensor other)", "(Number other)")),
    # (the in-place methods of the same two forms: x.true_divide_() fits neither)
    **{f"{name}_": (None, forms("(Tensor other)", "(Number other)"))
       for name in ("true_divide", "bitwise_and", "bitwise_or", "bitwise_xor",
                    "bitwise_left_shift", "bitwise_right_shift", "copysign", "fmod",
                    "remainder", "floor_divide")},
    "isin": (forms(*[f"({first}, {second}, *, bool assume_unique = False, bool invert = False, "
                     "Tensor out = None)"
                     for first, second in (("Tensor elements", "Tensor test_elements"),
                                           ("Number element", "Tensor test_elements"),
                                           ("Tensor elements", "Number test_element"))]), None),
    # (spacing's tuple of Scalars: a tuple or list, its items left to gradient)
    "gradient": (forms("(Tensor input, *, tuple of ints dim, int edge_order = 1)",
                       "(Tensor input, *, Number spacing, tuple of ints dim, int edge_order = 1)",
                       "(Tensor input, *, Number spacing = None, int dim = None, "
                       "int edge_order = 1)",
                       *[f"(Tensor input, *, tuple of {items} spacing, {dim}, int edge_order = 1)"
                         for items in ("Scalars", "Tensors")
                         for dim in ("int dim = None", "tuple of ints dim")]), None),
    "tensor_split": (forms("(Tensor input, tuple of ints indices, int dim = 0)",
                           "(Tensor input, Tensor tensor_indices_or_sections, int dim = 0)",
                           "(Tensor input, int sections, int dim = 0)"),
                     forms("(tuple of ints indices, int dim = 0)",
                           "(Tensor tensor_indices_or_sections, int dim = 0)",
                           "(int sections, int dim = 0)")),
    **{name: (forms("(Tensor input, int sections)", "(Tensor input, tuple of ints indices)"),
              forms("(int sections)", "(tuple of ints indices)"))
       for name in ("hsplit", "vsplit", "dsplit")},
    **{name: (forms("(Tensor input, int source, int destination)",
                    "(Tensor input, tuple of ints source, tuple of ints destination)"),
              forms("(int source, int destination)",
                    "(tuple of ints source, tuple of ints destination)"))
       for name in ("movedim", "moveaxis")},
    **{name: (forms(f"(Tensor input, int {a}, int {b})"), forms(f"(int {a}, int {b})"))
       for name, a, b in (("swapaxes", "axis0", "axis1"), ("swapdims", "dim0", "dim1"))},
    # (a dim and little else: x.cumsum(1.5) is "cumsum(): argument 'dim' (position 1)
    # must be int, not float", not the dim check's own words)
    **{name: (forms("(Tensor input, int dim, *, torch.dtype dtype = None, Tensor out = None)"),
              forms("(int dim, *, torch.dtype dtype = None)"))
       for name in ("cumsum", "cumprod")},
    **{name: (forms("(Tensor input, int dim, torch.dtype dtype = None, *, Tensor out = None)"),
              forms("(int dim, torch.dtype dtype = None)"))
       for name in ("softmax", "log_softmax")},
    "logcumsumexp": (forms("(Tensor input, int dim, *, Tensor out = None)"), forms("(int dim)")),
    **{name: (forms("(Tensor input, int dim, *, tuple of Tensors out = None)"), forms("(int dim)"))
       for name in ("cummax", "cummin")},
    "transpose": (forms("(Tensor input, int dim0, int dim1)"), forms("(int dim0, int dim1)")),
    "unsqueeze": (forms("(Tensor input, int dim)"), forms("(int dim)")),
    "select": (forms("(Tensor input, int dim, int index)"), forms("(int dim, int index)")),
    "gather": (forms("(Tensor input, int dim, Tensor index, *, bool sparse_grad = False, "
                     "Tensor out = None)"),
               forms("(int dim, Tensor index, *, bool sparse_grad = False)")),
    "index_select": (forms("(Tensor input, int dim, Tensor index, *, Tensor out = None)"),
                     forms("(int dim, Tensor index)")),
    "flip": (forms("(Tensor input, tuple of ints dims)"), forms("(tuple of ints dims)")),
    "rot90": (forms("(Tensor input, int k = 1, tuple of ints dims = (0,1))"),
              forms("(int k = 1, tuple of ints dims = (0,1))")),
    # (the deprecated forms put beta, and alpha, first)
    "addmm": (forms("(Tensor input, Tensor mat1, Tensor mat2, *, Number beta = 1, "
                    "Number alpha = 1, Tensor out = None)",
                    "(Tensor input, Tensor mat1, Tensor mat2, torch.dtype out_dtype, *, "
                    "Number beta = 1, Number alpha = 1, Tensor out = None)",
                    deprecated=("(Number beta, Tensor input, Number alpha, Tensor mat1, "
                                "Tensor mat2, *, Tensor out = None)",
                                "(Number beta, Tensor input, Tensor mat1, Tensor mat2, *, "
                                "Tensor out = None)")),
              forms("(Tensor mat1, Tensor mat2, *, Number beta = 1, Number alpha = 1)",
                    deprecated=("(Number beta, Number alpha, Tensor mat1, Tensor mat2)",
                                "(Number beta, Tensor mat1, Tensor mat2)"))),
    "triangular_solve": (forms("(Tensor input, Tensor A, bool upper = True, bool transpose = False, "
                               "bool unitriangular = False, *, tuple of Tensors out = None)"),
                         forms("(Tensor A, bool upper = True, bool transpose = False, "
                               "bool unitriangular = False)")),
    "lu_unpack": (forms("(Tensor LU_data, Tensor LU_pivots, bool unpack_data = True, "
                        "bool unpack_pivots = True, *, tuple of Tensors out = None)"), None),
    "ormqr": (forms("(Tensor input, Tensor input2, Tensor input3, bool left = True, "
                    "bool transpose = False, *, Tensor out = None)"),
              forms("(Tensor input2, Tensor input3, bool left = True, bool transpose = False)")),
    "cholesky_inverse": (forms("(Tensor input, bool upper = False, *, Tensor out = None)"),
                         forms("(bool upper = False)")),
    "lu_solve": (forms("(Tensor input, Tensor LU_data, Tensor LU_pivots, *, Tensor out = None)"),
                 forms("(Tensor LU_data, Tensor LU_pivots)")),
    "searchsorted": (forms(*[f"(Tensor sorted_sequence, {values}, *, bool out_int32 = False, "
                             "bool right = False, str? side = None, Tensor? sorter = None, "
                             "Tensor out = None)" for values in ("Tensor input", "Number self")]),
                     None),
}

# torch.nn.functional's functions (torch.NAME's too) checked as PyTorch's
# parser does: their forms
_CONV = ("(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
         "{padding}, tuple of ints dilation = 1, int groups = 1)")
NN = {name: forms(_CONV.format(padding="tuple of ints padding = 0"),
                  _CONV.format(padding='str padding = "valid"'))
      for name in ("conv1d", "conv2d", "conv3d")}
# (the average poolings are PyTorch's C functions, F's called directly: their
# bools and ints are checked before their input is)
_AVG_POOL = ("(Tensor input, tuple of ints kernel_size, tuple of ints stride = None, "
             "tuple of ints padding = 0, bool ceil_mode = False, bool count_include_pad = True"
             "{more})")
NN.update(avg_pool1d=forms(_AVG_POOL.format(more="")),
          **{name: forms(_AVG_POOL.format(more=", int? divisor_override = None"))
             for name in ("avg_pool2d", "avg_pool3d")})

# torch.linalg's functions whose arguments are checked as PyTorch's parser
# does (the interpreter's torch.linalg module takes these):
# the function, the name PyTorch's messages give it, its forms
_NORM = "tuple of ints dim = None, bool keepdim = False, *, torch.dtype dtype = None, " \
        "Tensor out = None"
_MATRIX_NORM = _NORM.replace("None", "{-2,-1}", 1)
LINALG = {"norm": (F.f_linalg_norm, "linalg_norm",
                   forms(f"(Tensor input, Number ord = None, {_NORM})",
                         f"(Tensor input, str ord, {_NORM})")),
          "vector_norm": (F.f_linalg_vector_norm, "linalg_vector_norm",
                          forms(f"(Tensor input, Number ord = 2, {_NORM})")),
          "matrix_norm": (F.f_linalg_matrix_norm, "linalg_matrix_norm",
                          forms(f"(Tensor input, Number ord, {_MATRIX_NORM})",
                                f'(Tensor input, str ord = "fro", {_MATRIX_NORM})')),
          "cholesky": ("cholesky", "linalg_cholesky",
                       forms("(Tensor input, *, bool upper = False, Tensor out = None)")),
          # (PyTorch's parser names A input, and counts the keyword-only
          # upper among the required arguments a call leaves out)
          "solve_triangular": ("solve_triangular", "linalg_solve_triangular",
                               forms("(Tensor input, Tensor B, *, bool upper, bool left = True, "
                                     "bool unitriangular = False, Tensor out = None)")),
          **{name: (name, f"linalg_{name}",
                    forms("(Tensor A, *, bool pivot = True, tuple of Tensors out = None)"))
             for name in ("lu", "lu_factor")},
          "cholesky_ex": ("cholesky_ex", "linalg_cholesky_ex",
                          forms("(Tensor input, *, bool upper = False, bool check_errors = False, "
                                "tuple of Tensors out = None)")),
          "inv_ex": ("inv_ex", "linalg_inv_ex",
                     forms("(Tensor A, *, bool check_errors = False, tuple of Tensors out = None)")),
          "solve_ex": ("solve_ex", "linalg_solve_ex",
                       forms("(Tensor A, Tensor B, *, bool left = True, bool check_errors = False, "
                             "tuple of Tensors out = None)")),
          "lu_factor_ex": ("lu_factor_ex", "linalg_lu_factor_ex",
                           forms("(Tensor A, *, bool pivot = True, bool check_errors = False, "
                                 "tuple of Tensors out = None)")),
          "lu_solve": ("lu_solve", "linalg_lu_solve",
                       forms("(Tensor LU, Tensor pivots, Tensor B, *, bool left = True, "
                             "bool adjoint = False, Tensor out = None)")),
          "tensorinv": ("tensorinv", "linalg_tensorinv",
                        forms("(Tensor input, int ind = 2, *, Tensor out = None)")),
          "tensorsolve": ("tensorsolve", "linalg_tensorsolve",
                          forms("(Tensor input, Tensor other, int[]? dims = None, *, "
                                "Tensor out = None)")),
          "ldl_factor": ("ldl_factor", "linalg_ldl_factor",
                         forms("(Tensor input, *, bool hermitian = False, tuple of Tensors out = None)")),
          "ldl_factor_ex": ("ldl_factor_ex", "linalg_ldl_factor_ex",
                            forms("(Tensor input, *, bool hermitian = False, bool check_errors = False, "
                                  "tuple of Tensors out = None)")),
          "ldl_solve": ("ldl_solve", "linalg_ldl_solve",
                        forms("(Tensor LD, Tensor pivots, Tensor B, *, bool hermitian = False, "
                              "Tensor out = None)")),
          "vander": ("vander", "linalg_vander",
                     forms("(Tensor x, *, int? N = None)")),
          "matrix_power": ("matrix_power", "linalg_matrix_power",
                           forms("(Tensor input, int n, *, Tensor out = None)")),
          "matrix_rank": ("matrix_rank", "linalg_matrix_rank",
                          forms(*[f"(Tensor input, *, {kind} atol = None, {kind} rtol = None, "
                                  "bool hermitian = False, Tensor out = None)"
                                  for kind in ("Tensor", "float")],
                                *[f"(Tensor input, {kind} tol, bool hermitian = False, *, "
                                  "Tensor out = None)" for kind in ("Tensor", "float")])),
          "pinv": ("pinv", "linalg_pinv",
                   forms(*[f"(Tensor input, *, {kind} atol = None, {kind} rtol = None, "
                           "bool hermitian = False, Tensor out = None)"
                           for kind in ("Tensor", "float")],
                         *[f"(Tensor input, {kind} rcond, bool hermitian = False, *, "
                           "Tensor out = None)" for kind in ("Tensor", "float")]))}


def install() -> None:
    """Wrap torch.NAME and x.NAME of the table in functions.py's tables."""
    for name, (function_forms, method_forms) in TABLE.items():
        if function_forms:
            F.FUNCTIONS[name] = checked(F.FUNCTIONS[name], name, function_forms, method=False)
        if method_forms:
            F.METHODS[name] = checked(F.METHODS[name], name, method_forms, method=True)
    for name, overloads in NN.items():
        # (torch.conv2d is F.conv2d: one check for both; F.avg_pool2d has no torch.NAME)
        function = F.NN_FUNCTIONAL[name] = checked(F.NN_FUNCTIONAL[name], name, overloads,
                                                   method=False)
        if name in F.FUNCTIONS:
            F.FUNCTIONS[name] = function


def linalg_function(name: str):
    """torch.linalg.NAME (norm, vector_norm, matrix_norm), its arguments checked."""
    f, fname, overloads = LINALG[name]
    # (a name: the function of F.LINALG, read now, as modules installed after
    # this one's import add theirs)
    return checked(F.LINALG[f] if f.__class__ is str else f, fname, overloads, method=False)


def checked(call, fname: str, overloads: tuple, method: bool):
    """call, refusing with PyTorch's TypeError, before it runs, what none of
    PyTorch's forms of fname takes (by number, name and bool arguments).
    What it reads from call's signature is worked out at its first call, not
    here: some 250 functions are wrapped at every start-up, and inspecting
    their signatures then was ~5% of a short program's whole run."""
    seen = set()
    renames = spread = None

    @functools.wraps(call)
    def check(rt, *args, **kw):
        nonlocal renames, spread
        arg_parser.check(fname, overloads, args[1:] if method else args, kw, seen)
        if kw:
            if renames is None:
                renames, spread = _keywords(call, overloads, method)
            if not renames.keys().isdisjoint(kw):
                kw = {renames.get(k, k): v for k, v in kw.items()}
            if spread in kw:             # (x.reshape(shape=(2, 3)): gradviz's *shape)
                args, kw = (*args, kw.pop(spread)), kw
        return passed_on(call, rt, args, kw)
    # (the interpreter leaves a numpy bool there as it is, for the check)
    check.bool_slots = functools.cache(lambda: _bool_slots(inspect.signature(call), overloads))
    # (a call with out=, whose out the interpreter writes itself, is checked
    # with it first: PyTorch's messages list it where the call gave it)
    check.check_arguments = lambda args, kw: arg_parser.check(
        fname, overloads, args[1:] if method else args, kw, seen)
    return check


def _keywords(call, overloads: tuple, method: bool) -> tuple:
    """(_renames of call, the name of its *args or None)."""
    sig = inspect.signature(call)
    spread = next((name for name, p in sig.parameters.items()
                   if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
    return _renames(sig, overloads, method), spread


def _renames(sig: inspect.Signature, overloads: tuple, method: bool) -> dict:
    """PyTorch's names of arguments (and numpy's it takes) that gradviz's
    function calls otherwise: {name: gradviz's name}. Its first argument
    after rt is the tensor (input, or self), and where its second is a
    plain "b" or "other", that is PyTorch's second (other, exponent, vec2),
    whatever PyTorch names them; a size its ints one by one take is its *args."""
    order = list(sig.parameters)[1:]        # (after rt)
    named = [name for name in order if sig.parameters[name].kind in POSITIONAL]
    places = named[:2] if len(named) > 1 and named[1] in ("b", "other") else named[:1]
    spread = next((name for name in order
                   if sig.parameters[name].kind is inspect.Parameter.VAR_POSITIONAL), None)
    skip = 1 if method else 0               # (a method's forms leave self out)
    places += _more_places(named, len(places), overloads, skip)
    renames = {}
    # (a deprecated form's places are not its keywords: addmm(beta, input,
    # mat1, mat2) would name mat1 the third)
    for form in (form for form in overloads if not form.hidden):
        for i, p in enumerate(form.params):
            target = p.name if p.name in sig.parameters else None
            if target is None and not p.kwonly and i + skip < len(places):
                target = places[i + skip]
            if form.varargs and i == 0 and spread:
                target = spread
            for name in p.aliases:
                if target and name != target and name not in sig.parameters:
                    renames[name] = target
    return renames


def _more_places(named: list, start: int, overloads: tuple, skip: int) -> list:
    """gradviz's names of the positional places from start on while PyTorch
    names no other place so (addmm's mat1 is gradviz's first; hsplit's
    sections and indices its indices_or_sections): the first name PyTorch
    gives another place ends them."""
    at: dict = {}
    for form in overloads:
        for i, p in enumerate(form.params):
            at.setdefault(p.name, set()).add(i + skip)
    more = []
    for i, name in enumerate(named[start:], start):
        if at.get(name, {i}) != {i}:
            break
        more.append(name)
    return more


def _bool_slots(sig: inspect.Signature, overloads: tuple) -> dict:
    """{bool argument: where it stands among the call's arguments after rt
    (None: by keyword only)} for the names in overloads that are bools."""
    order = list(sig.parameters)
    names = {p.name for form in overloads for p in form.params if p.kind == "bool"}
    return {name: order.index(name) - 1 if name in sig.parameters and
            sig.parameters[name].kind in POSITIONAL else None for name in names}


def passed_on(call, rt, args, kw):
    """call(rt, *args, **kw), where the arguments do not fit it: its
    TypeError marked as the program's, as functions.keywords_seen marks it
    (the interpreter tells such an error by where it was raised)."""
    try:
        return call(rt, *args, **kw)
    except TypeError as exc:
        if exc.__traceback__.tb_next is None:
            exc.at_the_call = True
        raise
