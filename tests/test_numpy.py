"""import numpy as np: numpy's own values and printing, memory shared with
tensors as in PyTorch, and the subset's edges: sizes checked before numpy
allocates, no files, no object arrays, no program values reaching numpy.
(What real numpy and PyTorch print is pinned by the numpy_* conformance
cases.)"""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from gradviz.errors import LIMIT, GradvizError

HEAD = "import torch\nimport numpy as np\n"


def run(body: str) -> str:
    out = io.StringIO()
    gradviz.run_source(HEAD + body, stdout=out)
    return out.getvalue()


def fails(body: str) -> GradvizError:
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(HEAD + body, stdout=io.StringIO())
    err = info.value
    assert err.hint, (body, err.message)
    assert err.span is not None and err.span.line >= 3, body
    return err


# ---- what a program sees ----------------------------------------------------

def test_values_print_as_numpy_prints_them():
    out = run("a = np.arange(6, dtype=np.float32).reshape(2, 3)\n"
              "print(a, a.sum(), [a.sum()], a.dtype, repr(a.dtype), type(a.sum()))\n"
              "print(f'{a.mean():.2f}', float(a[1, 2]), int(a.max()), round(np.float64(2.567), 2))\n")
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert out == (f"{a} {a.sum()} {[a.sum()]} {a.dtype} {a.dtype!r} <class 'numpy.float32'>\n"
                   f"2.50 5.0 5 2.57\n")


def test_numpy_random_is_numpys_global_generator():
    out = run("np.random.seed(0)\nprint(np.random.normal(0, 1, (2, 3)), np.random.randint(0, 9, 4))\n"
              "xs = [1, 2, 3, 4]\nnp.random.shuffle(xs)\nprint(xs)\n")
    rs = np.random.RandomState(0)
    first = f"{rs.normal(0, 1, (2, 3))} {rs.randint(0, 9, 4)}"
    xs = [1, 2, 3, 4]
    rs.shuffle(xs)
    assert out == f"{first}\n{xs}\n"


def test_unseeded_draws_are_the_same_on_every_run():
    body = "print(np.random.rand(3))\n"
    assert run(body) == run(body) == f"{np.random.RandomState(0).rand(3)}\n"


def test_memory_is_shared_as_in_pytorch():
    out = run("t = torch.ones(3)\nn = t.numpy()\nt.add_(1)\nprint(n)\n"
              "n[0] = 7\nn += 1\nprint(t)\n"
              "m = np.zeros(2)\nu = torch.from_numpy(m)\nnp.add(m, 1, out=m)\nprint(u)\n"
              "c = torch.tensor(m)\nm[0] = 5\nprint(c, u)\n")
    assert out == ("[2. 2. 2.]\ntensor([8., 3., 3.])\ntensor([1., 1.], dtype=torch.float64)\n"
                   "tensor([1., 1.], dtype=torch.float64) tensor([5., 1.], dtype=torch.float64)\n")


def test_tensor_and_array_operators_as_pytorch():
    out = run("t = torch.ones(2)\nprint(t + np.ones(2), t * np.float64(1.5), np.float32(2) * t)\n"
              "print(np.ones(2) == t)\n")
    assert out == ("tensor([2., 2.], dtype=torch.float64) tensor([1.5000, 1.5000]) "
                   "tensor([2., 2.])\ntensor([True, True])\n")
    err = fails("x = np.ones(2) * torch.ones(2)\n")
    assert err.kind == "TypeError" and "'numpy.ndarray' and 'Tensor'" in err.message


def test_rows_slices_and_item_assignment():
    out = run("a = np.arange(6).reshape(2, 3)\nfor r in a:\n    print(r)\n"
              "a[0, 1:] = 9\na[1, :2] += 5\nprint(a[a > 4], a[:, None].shape, list(a[0]))\n"
              "from numpy import newaxis\nprint(a[newaxis].shape, len(a), sum(a))\n")
    assert out == ("[0 1 2]\n[3 4 5]\n[9 9 8 9 5] (2, 1, 3) [np.int64(0), np.int64(9), "
                   "np.int64(9)]\n(1, 2, 3) 2 [ 8 18 14]\n")


def test_isinstance_of_ndarray():
    assert run("a = np.ones(2)\nprint(isinstance(a, np.ndarray), type(a) == np.ndarray, "
               "isinstance(a.sum(), np.ndarray))\n") == "True True False\n"


def test_numpy_keywords_are_numpys():
    """axis= and keepdims= go to numpy as they are (torch's functions read
    them as dim= and keepdim=)."""
    out = run("a = np.ones((2, 3))\nprint(np.sum(a, axis=0), a.mean(axis=1, keepdims=True).shape)\n")
    assert out == "[2. 2. 2.] (2, 1)\n"


# ---- the subset's edges -----------------------------------------------------

TOO_BIG = [
    "np.zeros(10**12)", "np.ones((10**6, 10**6))", "np.full((10**5, 10**5), 1.0)",
    "np.arange(0, 1, 1e-12)", "np.linspace(0, 1, 10**12)", "np.eye(10**6)",
    "np.random.rand(10**6, 10**6)", "np.random.normal(0, 1, size=(10**6, 10**6))",
    "np.random.randint(0, 5, size=10**12)", "np.random.permutation(10**12)",
    "np.outer(np.ones(10**6), np.ones(10**6))", "np.ones((10**6, 1)) @ np.ones((1, 10**6))",
    "np.dot(np.ones((10**6, 1)), np.ones((1, 10**6)))", "np.tile(np.ones(10**6), 10**6)",
    "np.repeat(np.ones(10**6), 10**6)", "np.ones((10**6, 1)) + np.ones((1, 10**6))",
    "np.ones((1, 10**6))[np.zeros(10**6, dtype=np.int64)]",
    "np.broadcast_to(np.ones(1), (10**12,))", "np.meshgrid(np.ones(10**5), np.ones(10**5))",
    "np.diag(np.ones(10**6))", "np.zeros((2,) * 40)", "np.concatenate([np.ones(10**6)] * 1000)",
    "np.random.default_rng(0).normal(size=10**12)", "np.tri(10**6)",
    "np.inner(np.ones((10**6, 1)), np.ones((10**6, 1)))", "np.zeros(np.array([10**6, 10**6]))",
    "np.argwhere(np.ones((10**6,) + (1,) * 20))",
    "np.percentile(np.ones((1, 10**5)), np.ones(10**5))",
]


@pytest.mark.parametrize("expr", TOO_BIG)
def test_sizes_are_checked_before_numpy_allocates(expr):
    err = fails(f"x = {expr}\n")
    assert err.kind == LIMIT and "elements" in err.message


def test_arrays_held_at_once_are_limited():
    err = fails("xs = []\nfor i in range(200):\n    xs.append(np.ones(10**6))\n")
    assert err.kind == LIMIT and "at once" in err.message and err.span.line == 5


def test_arrays_made_and_dropped_run_on():
    assert run("for i in range(200):\n    a = np.ones(10**6)\nprint(a.sum())\n") == "1000000.0\n"


REFUSED = [
    "np.load('x.npy')", "np.save('x', np.ones(2))", "np.ones(2).tofile('x')", "np.loadtxt('f')",
    "np.genfromtxt('f')", "np.savetxt('f', np.ones(2))", "np.fromfile('f')", "np.memmap('f')",
    "np.DataSource()", "np.lib", "np.ctypeslib", "np.vectorize(print)", "np.frompyfunc(print, 1, 1)",
    "np.set_printoptions(precision=2)", "np.ones(2).ctypes", "np.ones(2).data",
    "np.ones(2).view(np.int64)", "np.random.get_state()", "np.empty(3)", "np.fft",
    "np.ones(2).resize(10)", "np.random.default_rng(0).bit_generator", "np.object_",
]


@pytest.mark.parametrize("expr", REFUSED)
def test_names_outside_the_subset_say_so(expr):
    err = fails(f"x = {expr}\n")
    assert err.kind == "AttributeError" and "outside gradviz's numpy subset" in err.message


@pytest.mark.parametrize("expr,words", [
    ("np.zeros(5, dtype=object)", "dtype object"), ("np.array(['a', 'b'])", "strings"),
    ("np.zeros(3, 'O')", "'O' is not a dtype"), ("np.ones(2).astype(str)", "dtype str"),
    ("np.array(10**100)", "dtype object"), ("np.dtype('U5')", "'U5' is not a dtype"),
    ("np.zeros(3, dtype='(1000000000,)f8')", "not a dtype"), ("np.zeros(3, 'S1000000000')", "not a dtype"),
    ("np.zeros(3, ('f8', (10**9,)))", "strings"), ("np.dtype([('a', 'f8')])", "strings"),
    ("np.full(10**6, 'x' * 10**6)", "not a dtype"), ("np.array(['x' * 10**6] * 100)", "strings"),
    ("np.ones(2).astype('(100000000,)f8')", "not a dtype"), ("np.zeros(3, 'f8,f8')", "not a dtype"),
])
def test_object_string_and_record_arrays_are_refused_before_numpy_makes_them(expr, words):
    err = fails(f"x = {expr}\n")
    assert err.kind == "TypeError" and words in err.message and "outside" in err.message


def test_words_and_dtype_names_are_numpys():
    assert run("print(np.zeros((1, 2), order='F'), np.sort(np.array([2, 1]), kind='stable'),\n"
               "      np.ones(2, 'float32').dtype, np.float32('nan'), np.ones(1).dtype == 'float64')\n"
               ) == "[[0. 0.]] [1 2] float32 nan True\n"


@pytest.mark.parametrize("expr", [
    "np.array([print])", "np.ones(2).fill(print)", "np.sort(np.ones(3), kind=print)",
    "np.float32(lambda v: v)", "np.unique(np.ones(3), return_counts=torch)",
    "np.exp(torch.ones(2))", "np.add(np.ones(2), 1, out=[0, 0])",
])
def test_program_values_never_reach_numpy(expr):
    err = fails(f"x = {expr}\n")
    assert err.kind == "TypeError"


def test_a_class_instance_stays_in_the_program():
    err = fails("class A:\n    def __array__(self):\n        return 1\nx = np.array(A())\n")
    assert err.kind == "TypeError" and "an object" in err.message


@pytest.mark.parametrize("body,kind,words", [
    ("x = np.zeros(-1)\n", "ValueError", "negative dimensions"),
    ("x = np.ones(3)[5]\n", "IndexError", "out of bounds"),
    ("x = np.ones((2, 3)).sum(axis=5)\n", "AxisError", "axis 5"),
    ("x = np.ones(2) + np.ones(3)\n", "ValueError", "could not be broadcast"),
    ("x = np.reshape(np.ones(4), (3, 3))\n", "ValueError", "cannot reshape"),
    ("x = np.linalg.inv(np.ones((2, 2)))\n", "LinAlgError", "Singular matrix"),
    ("x = bool(np.ones(3))\n", "ValueError", "truth value"),
    ("x = np.array(torch.ones(2, requires_grad=True))\n", "RuntimeError", "requires grad"),
    ("x = torch.from_numpy(np.float64(1.0))\n", "TypeError", "expected np.ndarray"),
    ("x = torch.from_numpy(np.ones(2, dtype=np.uint16))\n", "TypeError", "uint16"),
    ("x = torch.from_numpy(np.arange(3.0)[::-1])\n", "ValueError", "negative"),
    ("x = torch.tensor(np.arange(3.0)[::-1])\n", "ValueError", "negative"),
    ("x = np.zeros(2, dtype=torch.float32)\n", "TypeError", "as a data type"),
    ("x = np.frobnicate\n", "AttributeError", "has no attribute 'frobnicate'"),
    ("x = np.ones(2).frobnicate\n", "AttributeError", "has no attribute 'frobnicate'"),
    ("x = np.ones(2).__array_interface__\n", "AttributeError", "has no attribute"),
    ("x = [1]\nfor i in range(100):\n    x = [x]\ny = np.array(x)\n", "ValueError", "nested"),
    ("import numpy.lib\n", "ModuleNotFoundError", "No module named 'numpy.lib'"),
    ("from numpy import load\n", "ImportError", "cannot import name 'load'"),
    ("for r in np.float32(1):\n    pass\n", "TypeError", "not iterable"),
    ("x = np.ones(2)(3)\n", "TypeError", "not callable"),
])
def test_errors_name_the_line_with_a_hint(body, kind, words):
    err = fails(body)
    assert err.kind == kind and words in err.message, (err.kind, err.message)


def test_every_function_and_method_on_odd_arguments_ends_in_an_error_with_a_hint():
    """No numpy call escapes as a Python exception, whatever it is given."""
    from gradviz import pynumpy
    given = ["", "a", "a, a", "a, axis=0", "b, b", "a, -1", "[1, 2], [3]", "a, b", "None",
             "a, (2, 3)", "s", "a, 'float32'"]
    calls = [f"np.{name}({args})" for name in pynumpy.NAMES for args in given]
    calls += [f"v.{name}({args})" for name in pynumpy.METHODS for args in given[:6]]
    for call in calls:
        src = (HEAD + "a = np.arange(6.0).reshape(2, 3)\nb = np.eye(3)\ns = np.float32(2)\n"
               f"for v in [a, s]:\n    x = {call}\n")
        try:
            gradviz.run_source(src, stdout=io.StringIO())
        except GradvizError as err:
            assert err.hint and err.span is not None, (call, err.message)


TENSORS_ONLY = ["torch.maximum(x, {})", "torch.minimum({}, x)", "x.maximum({})", "torch.atan2(x, {})",
                "x.arctan2({})", "torch.hypot(x, {})", "x.hypot({})", "torch.logaddexp(x, {})",
                "x.logaddexp2({})", "torch.heaviside(x, {})", "x.heaviside({})", "torch.dot(x, {})",
                "x.dot({})", "torch.mm(x, {})", "x.mv({})", "torch.outer(x, {})", "x.matmul({})",
                "x.atan2_({})", "x.hypot_({})", "x.heaviside_({})"]


@pytest.mark.parametrize("scalar", ["np.float32(1)", "np.float64(2.5)", "np.int64(2)", "np.bool_(True)"])
@pytest.mark.parametrize("form", TENSORS_ONLY)
def test_a_numpy_scalar_to_a_function_of_tensors_only_is_named_as_pytorch_names_it(form, scalar):
    # the scalar stays numpy's for these (functions.tensors_only): the error
    # says "not numpy.float32", where other functions take it as a number
    torch = pytest.importorskip("torch")
    call = form.format(scalar)
    try:
        eval(call, {"torch": torch, "np": np, "x": torch.tensor([1.0, 2.0])})
    except TypeError as exc:
        want = str(exc)
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(HEAD + f"x = torch.tensor([1.0, 2.0])\ny = {call}\n", stdout=io.StringIO())
    assert info.value.kind == "TypeError" and info.value.message == want
