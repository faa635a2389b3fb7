"""The deprecated beta-first forms of addmm, addmv, addr, addbmm and
baddbmm, and the removed or deprecated names that still warn (x.volatile,
read and set; torch.set_default_tensor_type): the warning gradviz gives for
each is PyTorch's, word for word (their values are pinned by
tests/conformance_extra/*_deprecated.txt and tensor_legacy_dense_api.txt).
PyTorch's warnings are recorded in deprecated_forms.expected.json by
running this file (`python tests/test_deprecated_forms.py`, PyTorch
installed): PyTorch gives them once a process, so each call runs in a Python
of its own, which is too slow to do at each test run."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import gradviz

EXPECTED = Path(__file__).with_name("deprecated_forms.expected.json")
SETUP = ("v = torch.ones(2)\nw = torch.ones(2)\nm = torch.ones(2, 2)\nM = torch.ones(2, 2)\n"
         "B = torch.ones(3, 2, 2)\nBB = torch.ones(3, 2, 2)\n")
CALLS = ["torch.addmv(2, v, m, w)", "torch.addmv(2, v, 3, m, w)", "v.addmv(2, m, w)",
         "v.addmv(2, 3, m, w)", "v.clone().addmv_(2, 3, m, w)", "torch.addr(2, M, v, w)",
         "M.addr(2, 3, v, w)", "M.clone().addr_(2, v, w)", "torch.addbmm(2, M, 3, B, B)",
         "M.addbmm(2, B, B)", "torch.baddbmm(2, BB, B, B)", "BB.baddbmm(2, 3, B, B)",
         "BB.clone().baddbmm_(2, B, B)", "torch.addmm(2, M, M, M)", "M.addmm(2, 3, M, M)",
         "v.volatile", "v.volatile = False", "torch.set_default_tensor_type(torch.DoubleTensor)",
         "torch.set_default_tensor_type('torch.HalfTensor')"]


def gradviz_warnings(src: str) -> list:
    record = gradviz.run_source("import torch\n" + src, stdout=io.StringIO())
    return [ev["message"] for ev in record.events if ev["kind"] == "user_warning"]


@pytest.mark.parametrize("call", CALLS)
def test_a_deprecated_form_warns_as_pytorch(call):
    assert gradviz_warnings(SETUP + _statement(call)) == json.loads(EXPECTED.read_text())[call]


def _statement(call: str) -> str:
    """The call as a line of the program: its value kept as r (an
    assignment, such as a setter's, stands alone)."""
    return f"{call}\n" if " = " in call else f"r = {call}\n"


ORACLE = """
import json, re, sys, warnings
import torch
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    exec(sys.argv[1], {"torch": torch})
# (PyTorch appends where in its C++ the warning was raised)
print(json.dumps([re.sub(r" [(]Triggered internally at .*[)]$", "", str(w.message), flags=re.S)
                  for w in caught]))
"""


def record_pytorchs() -> None:
    said = {}
    for call in CALLS:
        proc = subprocess.run([sys.executable, "-c", ORACLE, SETUP + _statement(call)],
                              capture_output=True, text=True, check=True)
        said[call] = json.loads(proc.stdout)
    EXPECTED.write_text(json.dumps(said, indent=1) + "\n")


if __name__ == "__main__":
    record_pytorchs()
