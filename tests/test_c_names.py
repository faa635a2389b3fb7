"""arg_parser.c_name: which of torch's functions are C functions (their
argument errors are the argument parser's) and the names they go by, as in
the PyTorch installed as the oracle."""
import inspect

import pytest

from gradviz import arg_parser
from gradviz.interpreter import GLOBALS, Function

torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")

MODULES = {"torch": torch, "torch.linalg": torch.linalg, "torch.special": torch.special,
           "torch.nn.functional": F}


def _gradviz_module(name: str):
    return {"torch": GLOBALS["torch"], "torch.linalg": GLOBALS["torch"].members["linalg"],
            "torch.special": GLOBALS["torch"].members["special"],
            "torch.nn.functional": GLOBALS["F"]}[name]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_c_functions_are_torch_builtins_by_their_names(module):
    for key, fn in _gradviz_module(module).members.items():
        real = getattr(MODULES[module], key, None)
        if fn.__class__ is not Function or real is None or inspect.isclass(real):
            continue
        want = real.__name__ if inspect.isbuiltin(real) else None
        assert arg_parser.c_name(module, key) == want, f"{module}.{key}"
