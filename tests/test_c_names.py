"""Which of torch's functions are C functions, whose argument errors are
PyTorch's argument parser's (functions.PYTHON_LEVEL, the torch functions
written in Python; functions.PARSED_NN_FUNCTIONAL, torch.nn.functional's C
ones), checked against the PyTorch installed as the oracle."""
import inspect

import pytest

from gradviz import functions
from gradviz.interpreter import GLOBALS, Function

torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")


def _functions(gradviz_module, real_module):
    for key, fn in gradviz_module.members.items():
        real = getattr(real_module, key, None)
        if fn.__class__ is Function and real is not None and not inspect.isclass(real):
            yield key, inspect.isbuiltin(real)


# (the list names methods too: x.unflatten is Python's, torch.unflatten a C one)
METHOD_ONLY = {"unflatten"}


def test_torch_functions_written_in_python_are_listed():
    wrong = [key for key, builtin in _functions(GLOBALS["torch"], torch)
             if builtin == (key in functions.PYTHON_LEVEL) and key not in METHOD_ONLY]
    assert wrong == [], "\n".join(map(repr, wrong))


def test_functional_c_functions_are_listed():
    wrong = [key for key, builtin in _functions(GLOBALS["F"], F)
             if builtin != (key in functions.PARSED_NN_FUNCTIONAL)]
    assert wrong == [], "\n".join(map(repr, wrong))


def test_linalg_and_special_functions_are_c_functions_by_their_parser_names():
    from gradviz.interpreter import C_NAMES
    for module in ("linalg", "special"):
        gradviz_module = GLOBALS["torch"].members[module]
        for key, builtin in _functions(gradviz_module, getattr(torch, module)):
            assert builtin, f"torch.{module}.{key}"
            assert C_NAMES[gradviz_module.members[key]] == f"{module}_{key}"


def _every_function(module):
    """(module path, name, Function) of module's functions and its modules'."""
    for key, v in module.members.items():
        if v.__class__ is Function:
            yield module.name, key, v
        elif hasattr(v, "members") and v.name.startswith(module.name + "."):
            yield from _every_function(v)


def test_type_and_print_of_torch_functions_are_pytorch_s():
    """type(f) and the start of print(f) (before its address) for every
    function of gradviz's torch tree, as PyTorch's (function_kinds): one
    program prints them all."""
    import importlib
    import io

    import gradviz
    lines, want = [], []
    for path, key, _ in _every_function(GLOBALS["torch"]):
        try:
            real = getattr(importlib.import_module(path), key)
        except (ImportError, AttributeError):
            continue
        if type(real).__name__ in ("VariableMeta", "_lru_cache_wrapper"):
            continue
        lines += [f"import {path}", f"print('{path}.{key}', type({path}.{key}).__name__, "
                                    f"str({path}.{key}).split(' at ')[0])"]
        want.append(f"{path}.{key} {type(real).__name__} {str(real).split(' at ')[0]}")
    out = io.StringIO()
    gradviz.run_source("\n".join(lines) + "\n", stdout=out)
    wrong = set(out.getvalue().splitlines()) ^ set(want)
    assert not wrong, "\n".join(sorted(wrong))
