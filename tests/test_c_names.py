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
    assert wrong == []


def test_functional_c_functions_are_listed():
    wrong = [key for key, builtin in _functions(GLOBALS["F"], F)
             if builtin != (key in functions.PARSED_NN_FUNCTIONAL)]
    assert wrong == []


def test_linalg_and_special_functions_are_c_functions_by_their_parser_names():
    from gradviz.interpreter import C_NAMES
    for module in ("linalg", "special"):
        gradviz_module = GLOBALS["torch"].members[module]
        for key, builtin in _functions(gradviz_module, getattr(torch, module)):
            assert builtin, f"torch.{module}.{key}"
            assert C_NAMES[gradviz_module.members[key]] == f"{module}_{key}"
