"""Devices: programs written for PyTorch name them (device="cpu",
x.to(device), torch.device(...)); gradviz runs on the CPU, where they change
nothing, and any other device fails where it is used, as on PyTorch's CPU
build."""
from __future__ import annotations

import io

import pytest
from test_differential import assert_prints, assert_pytorch_prints, needs_torch, run_torch, torch

import gradviz
from gradviz.errors import GradvizError

PROGRAM = 'import torch\ndevice = torch.device("cpu")\nx = torch.ones(2, device=device, requires_grad=True)\ny = x.to(device)\nz = torch.zeros(2, device="cpu", dtype=torch.float64).to("cpu", torch.float32)\nw = torch.tensor([1.0, 2.0], device="cpu").cpu()\nprint(x.device, [x.device], y, z, w, device, torch.cuda.is_available())\nprint(torch.randn(3, device=device).shape, x.to(torch.float64).dtype, x.to(dtype=torch.float64).dtype)\n(y * 2).sum().backward()\nprint(x.grad)\n'
OUTPUT = "cpu [device(type='cpu')] tensor([1., 1.], requires_grad=True) tensor([0., 0.]) tensor([1., 2.]) cpu False\ntorch.Size([3]) torch.float64 torch.float64\ntensor([2., 2.])\n"


def test_the_cpu_changes_nothing():
    assert_prints(PROGRAM, OUTPUT)


@needs_torch
def test_the_expected_output_is_pytorchs():
    assert_pytorch_prints(PROGRAM, OUTPUT)


@pytest.mark.parametrize("src,kind,words", [
    ('x = torch.ones(2, device="cuda")\n', "AssertionError", "Torch not compiled with CUDA"),
    ('x = torch.ones(2).to("cuda")\n', "AssertionError", "Torch not compiled with CUDA"),
    ("x = torch.ones(2).cuda()\n", "AssertionError", "Torch not compiled with CUDA"),
    ('d = torch.device("foo")\n', "RuntimeError", "Expected one of cpu, cuda"),
    ("print(device)\n", "NameError", "name 'device' is not defined"),
    ('print(f"{torch.ones(2).device:>5}")\n', "TypeError",
     "unsupported format string passed to torch.device.__format__"),
])
def test_other_devices_fail_as_on_pytorchs_cpu_build(src, kind, words):
    src = "import torch\n" + src
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert info.value.kind == kind and words in info.value.message
    assert info.value.span.line == 2
    if torch is not None:
        got = run_torch(src)
        assert got.error["type"] == kind and words in got.error["message"]


@pytest.mark.parametrize(("arg", "kind", "message"), [
    ("torch.tensor(2.0)", "TypeError", "device() received an invalid combination of arguments - "
                                       "got (Tensor), but expected one of:"),
    ("3", "RuntimeError", "Cannot access accelerator device when none is available."),
])
def test_set_default_device_of_no_device_name_is_pytorchs_error(arg, kind, message):
    # (a tensor there was an internal error, found by fuzzing)
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(f"torch.set_default_device({arg})\n", stdout=io.StringIO())
    assert info.value.kind == kind and info.value.message.startswith(message)
    assert info.value.hint


# ---- the machine's questions and switches (gradviz/machine.py) ---------------
SWITCHES = ("import torch\nprint(torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,"
            " torch.are_deterministic_algorithms_enabled())\n"
            "torch.backends.cudnn.deterministic = True\ntorch.backends.cudnn.benchmark = True\n"
            "torch.use_deterministic_algorithms(True, warn_only=True)\n"
            "print(torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,"
            " torch.are_deterministic_algorithms_enabled(),"
            " torch.is_deterministic_algorithms_warn_only_enabled())\n")


def test_switches_read_back_as_set_and_do_not_outlive_the_run():
    want = "False False False\nTrue True True True\n"
    assert_prints(SWITCHES, want)
    assert_prints(SWITCHES, want)        # a second run starts from PyTorch's defaults again


@needs_torch
def test_switches_are_pytorchs():
    # (in a fresh process: the switches are PyTorch's process-wide state)
    assert_pytorch_prints(SWITCHES, "False False False\nTrue True True True\n")


def test_threads_default_to_the_cores_and_keep_what_was_set():
    import os
    assert_prints("print(torch.get_num_threads())\ntorch.set_num_threads(3)\n"
                  "print(torch.get_num_threads())\n", f"{os.cpu_count() or 1}\n3\n")


@pytest.mark.parametrize("src,kind,words", [
    ("torch.set_num_threads(0)\n", "RuntimeError", "expects a positive integer"),
    ("torch.set_num_threads(1.5)\n", "RuntimeError", "expects an int, but got float"),
    ("torch.set_num_threads(True)\n", "RuntimeError", "expects an int, but got bool"),
    ("torch.use_deterministic_algorithms(1)\n", "TypeError", "'mode' (position 1) must be bool, not int"),
    ("torch.backends.cudnn.deterministic = 1\n", "RuntimeError",
     "set_deterministic_cudnn expects a bool, but got int"),
    ("torch.cuda.manual_seed('a')\n", "ValueError", "invalid literal for int()"),
    ("torch.cuda.manual_seed_all(None)\n", "TypeError", "not 'NoneType'"),
    ("torch.cuda.current_device()\n", "AssertionError", "Torch not compiled with CUDA enabled"),
    ("torch.cuda.synchronize()\n", "AssertionError", "Torch not compiled with CUDA enabled"),
    ("torch.backends.cudnn.nope = True\n", "AttributeError", "cannot set"),
])
def test_machine_mistakes_fail_as_in_pytorch_with_a_hint(src, kind, words):
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("import torch\n" + src, stdout=io.StringIO())
    err = info.value
    assert err.kind == kind and words in err.message and err.hint and err.span.line == 2


@needs_torch
@pytest.mark.parametrize("src", [
    "torch.set_num_threads(0)\n", "torch.set_num_threads(1.5)\n",
    "torch.use_deterministic_algorithms(1)\n", "torch.backends.cudnn.deterministic = 1\n",
    "torch.cuda.manual_seed('a')\n", "torch.cuda.current_device()\n",
])
def test_those_mistakes_are_pytorchs(src):
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("import torch\n" + src, stdout=io.StringIO())
    got = run_torch("import torch\n" + src)
    assert got.error is not None and info.value.message in got.error["message"]
    assert (info.value.kind, 2) == (got.error["type"], got.error["line"])
