"""try/except/else/finally and raise (PyTorch's printouts of a program using
them are pinned by conformance_extra/try_except): which errors a program can
catch, and what it cannot."""
import io

import pytest

from gradviz.errors import LIMIT, GradvizError
from gradviz.tape import Limits
from programs import run


def test_the_classic_autograd_errors_are_caught_with_pytorch_s_words():
    _, out = run("x = ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\n"
                 "try:\n    y.backward()\nexcept RuntimeError as e:\n    print(e)\n"
                 "try:\n    (x * 2).backward()\nexcept Exception as e:\n    print(repr(e))\n")
    first, second = out.splitlines()
    assert first.startswith("Trying to backward through the graph a second time (or directly")
    assert second == "RuntimeError('grad can be implicitly created only for scalar outputs')"


def test_a_limit_is_not_an_exception_the_program_can_catch():
    # else `while True: try: ... except Exception: pass` would run past it
    src = ("xs = []\ntry:\n    for i in range(100):\n        xs.append(ones(2) * i)\n"
           "except Exception:\n    print('caught')\n")
    with pytest.raises(GradvizError) as info:
        run(src, limits=Limits(max_nodes=20))
    assert info.value.kind == LIMIT


def test_finally_runs_on_the_way_out_of_a_function_and_a_loop():
    _, out = run("def f():\n    try:\n        return 1\n    finally:\n        print('f done')\n"
                 "print(f())\n"
                 "while True:\n    try:\n        break\n    finally:\n        print('left')\n")
    assert out == "f done\n1\nleft\n"


def test_an_error_in_an_except_block_is_the_one_raised():
    with pytest.raises(GradvizError) as info:
        run("try:\n    [1][3]\nexcept IndexError:\n    undefined_name\n")
    assert info.value.kind == "NameError" and info.value.span.line == 4


@pytest.mark.parametrize("src, kind, words, line", [
    ("try:\n    x = 1 / 0\nexcept 3:\n    pass\n", "TypeError",
     "catching classes that do not inherit from BaseException is not allowed", 3),
    ("raise 5\n", "TypeError", "exceptions must derive from BaseException", 1),
    ("raise\n", "RuntimeError", "No active exception to reraise", 1),
    ("raise ValueError\n", "ValueError", "", 1),
    ("try:\n    [][0]\nexcept KeyError:\n    pass\n", "IndexError", "list index out of range", 2),
])
def test_raise_and_uncaught_errors(src, kind, words, line):
    with pytest.raises(GradvizError) as info:
        run(src)
    err = info.value
    assert (err.kind, err.span.line) == (kind, line) and words in err.message


def test_exception_values_behave_as_python_s():
    _, out = run("e = ValueError('bad')\nprint(e, repr(e), e.args, type(e).__name__,\n"
                 "      isinstance(e, Exception), isinstance(e, TypeError))\n"
                 "try:\n    raise e\nexcept (TypeError, ValueError) as caught:\n"
                 "    print('caught', caught)\n")
    assert out == ("bad ValueError('bad') ('bad',) ValueError True False\ncaught bad\n")


def test_an_error_leaving_a_with_block_in_a_function_restores_grad_mode():
    _, out = run("def f():\n    with no_grad():\n        raise ValueError('x')\n"
                 "try:\n    f()\nexcept ValueError:\n    pass\n"
                 "w = ones(1, requires_grad=True)\nprint(torch.is_grad_enabled(), (w * 2).requires_grad)\n")
    assert out == "True True\n"


def test_the_record_and_the_tables_keep_what_the_program_caught():
    from rich.console import Console
    from gradviz.render.tables import print_tables
    rec, _ = run("x = ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\n"
                 "try:\n    y.backward()\nexcept RuntimeError:\n    pass\n")
    (caught,) = [e for e in rec.events if e["kind"] == "caught"]
    assert (caught["line"], caught["type"]) == (5, "RuntimeError")
    out = io.StringIO()
    print_tables(rec, Console(file=out, width=200))
    assert "⚑ line 5: RuntimeError caught by the program's except: Trying to backward" in \
        out.getvalue()


def test_autograd_grad_without_its_inputs_is_the_programs_type_error():
    import io
    import gradviz
    from gradviz.errors import GradvizError
    try:
        gradviz.run_source("x = torch.ones(2, requires_grad=True)\n"
                           "g = torch.autograd.grad((x * 2).sum())\n", stdout=io.StringIO())
    except GradvizError as exc:
        assert exc.kind == "TypeError" and "missing 1 required positional argument: 'inputs'" \
            in exc.message and exc.span.line == 2
    else:
        raise AssertionError("grad() without inputs ran")


def test_a_tensor_method_gradviz_lacks_gets_a_hint():
    import io
    import gradviz
    from gradviz.errors import GradvizError
    for src, words in (("torch.ones(2).bfloat16()\n", "x.long()"),
                       ("torch.ones(2).frobnicate()\n", "gradviz ops")):
        try:
            gradviz.run_source(src, stdout=io.StringIO())
        except GradvizError as exc:
            assert exc.kind == "AttributeError" and words in exc.hint
        else:
            raise AssertionError(src)


def _torch_first_line(call: str):
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0])
    try:
        eval(call, {"torch": torch, "x": x})
    except TypeError as exc:
        return str(exc).splitlines()[0]
    except Exception as exc:      # (the call taken: det of a vector fails on)
        return type(exc).__name__
    return None


def _gradviz_message(call: str):
    import gradviz
    try:
        gradviz.run_source(f"x = torch.tensor([1.0, 2.0])\ny = {call}\n", stdout=io.StringIO())
    except GradvizError as exc:
        return exc.message if exc.kind == "TypeError" else exc.kind
    return None


@pytest.mark.parametrize("name", sorted(__import__("gradviz.functions").functions.ONE_TENSOR_FUNCTIONS))
def test_one_tensor_functions_argument_errors_are_pytorchs(name):
    # torch.exp(): PyTorch's parser's words ("missing 1 required positional
    # arguments" whatever the count); x.exp(1): CPython's for a method
    # without arguments; input= and x= name the tensor
    calls = [f"torch.{name}()", f"torch.{name}(x, x)", f"torch.{name}(x, y=1)",
             f"torch.{name}(x, input=x)", f"torch.{name}(input=x)", f"torch.{name}(x=x)"]
    from gradviz.functions import METHODS, NO_ARGUMENT_METHODS
    calls += [f"x.{m}(1)" for m in (name, name + "_") if m in METHODS]
    calls += [f"x.{m}(k=1)" for m in (name, name + "_") if m in NO_ARGUMENT_METHODS and m in METHODS]
    for call in calls:
        want = _torch_first_line(call)
        if want == "NotImplementedError":
            continue            # (torch.bitwise_not of a float tensor: not the arguments)
        assert _gradviz_message(call) == want, call
