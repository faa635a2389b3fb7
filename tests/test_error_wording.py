"""The error messages of the conformance cases listed here are PyTorch's
word for word (test_conformance compares a failing case's error type and
line, not its words): each pins a message that named the wrong function or
argument, or said it in other words. (Their first lines: gradviz leaves
out the forms PyTorch lists after "but expected one of:".)"""
import io
import json
from pathlib import Path

import pytest

import gradviz
from gradviz.errors import GradvizError

EXTRA = Path(__file__).parent / "conformance_extra"
WORDED = (
    "norm_fifth_positional_is_out",
    "one_hot_input_argument_name",
    "std_mean_argument_errors_name_std_mean",
    "std_non_tensor_input",
    "fold_errors_name_col2im",
    "unfold_stride_pair_item_error",
    "batch_norm_buffers_sizes_name_zeros",
    "batch_norm_buffers_negative_size",
    "conv_groups_none_type_error",
    "pad_sequence_argument_types_first",
    "linalg3_tensorsolve_dims_position",
)


@pytest.mark.parametrize("name", WORDED)
def test_message_is_pytorchs(name):
    case = EXTRA / f"{name}.txt"
    want = json.loads(case.with_suffix(".expected.json").read_text())["error"]
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(case.read_text(), filename=case.name, stdout=io.StringIO())
    said = info.value.message.splitlines()[0]
    assert (info.value.kind, said) == (want["type"], want["message"].splitlines()[0])
