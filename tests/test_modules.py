"""torch.nn's modules with parameters (gradviz/modules.py): nn.Linear,
nn.Sequential, nn.Flatten, torch.nn.init. Their outputs against PyTorch are
pinned by tests/conformance_extra/nn_*.txt and d2l_linreg_concise.txt; here
the names the record gives their parameters, the order of apply(), and
the errors' hints."""
import io

import pytest

import gradviz
from gradviz.errors import GradvizError


def run(src: str):
    out = io.StringIO()
    record = gradviz.run_source("import torch\nfrom torch import nn\n" + src, stdout=out)
    return record, out.getvalue()


def test_parameters_are_named_as_the_program_reaches_them():
    record, _ = run("net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), "
                    "nn.Sequential(nn.Linear(3, 1)))\nlin = nn.Linear(1, 1, bias=False)\n"
                    "net(torch.ones(2)).sum().backward()\n")
    params = [n.name for n in record.nodes if n.requires_grad and n.is_leaf]
    assert params == ["net[0].weight", "net[0].bias", "net[2][0].weight", "net[2][0].bias",
                      "lin.weight"]


def test_named_parameters_keep_pytorchs_keys_in_a_slice():
    _, out = run("net = nn.Sequential(nn.ReLU(), nn.Linear(2, 2), nn.Linear(2, 1))\n"
                 "print([n for n, p in net[1:].named_parameters()])\n"
                 "print([n for n, p in net.named_parameters(prefix='net')])\n")
    assert out.splitlines() == ["['1.weight', '1.bias', '2.weight', '2.bias']",
                                "['net.1.weight', 'net.1.bias', 'net.2.weight', 'net.2.bias']"]


def test_apply_calls_children_before_their_parent():
    _, out = run("net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))\n"
                 "net.apply(lambda m: print(type(m).__name__))\n")
    assert out.split() == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]


def test_parameters_is_walked_once_as_pytorchs_generator():
    _, out = run("net = nn.Linear(2, 1)\nps = net.parameters()\nprint(len(list(ps)), len(list(ps)))\n")
    assert out == "2 0\n"


def test_a_nested_sequential_prints_indented():
    _, out = run("print(nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(4, 2))))\n")
    assert out == ("Sequential(\n  (0): Flatten(start_dim=1, end_dim=-1)\n  (1): Sequential(\n"
                   "    (0): Linear(in_features=4, out_features=2, bias=True)\n  )\n)\n")


@pytest.mark.parametrize("src, message, hint", [
    ("nn.Linear(3, 2)(torch.ones(4, 5))\n",
     "mat1 and mat2 shapes cannot be multiplied (4x5 and 3x2)", "nn.Linear(5, 2)"),
    ("nn.Sequential(nn.ReLU())[3]\n", "index 3 is out of range", "1 module"),
    ("nn.Sequential(nn.ReLU(), 3)\n", "int is not a Module subclass", "nn.Linear(2, 1)"),
    ("nn.Linear(2, 1).weights\n", "'Linear' object has no attribute 'weights'", "weight"),
    ("nn.Linear(2.0, 1)\n", None, "whole number"),
])
def test_module_errors_name_the_fix(src, message, hint):
    with pytest.raises(GradvizError) as info:
        run(src)
    if message is not None:
        assert info.value.message == message
    assert hint in info.value.hint


def test_a_linear_call_is_one_addmm_node_on_a_batch():
    record, _ = run("torch.manual_seed(0)\nlin = nn.Linear(3, 2)\ny = lin(torch.randn(4, 3))\n"
                    "y.sum().backward()\n")
    ops = [n.grad_fn for n in record.nodes if n.grad_fn]
    assert ops == ["TBackward0", "AddmmBackward0", "SumBackward0"]


def test_the_nodes_of_a_sequential_say_which_module_made_them():
    record, _ = run("torch.manual_seed(0)\nnet = nn.Sequential(nn.Linear(3, 2), nn.Tanh())\n"
                    "y = net(torch.randn(4, 3))\ny.sum().backward()\n")
    made = [(n.grad_fn, n.expr) for n in record.nodes if n.grad_fn and n.line == 5]
    # (the transposed weight is titled as itself, not as the layer's output)
    assert made == [("TBackward0", "net[0].weight.T"),
                    ("AddmmBackward0", "net[0] in net(torch.randn(4, 3))"),
                    ("TanhBackward0", "net[1] in net(torch.randn(4, 3))")]


def test_type_gives_one_class_object_per_type():
    _, out = run("m = nn.Linear(1, 1)\nnet = nn.Sequential(m, nn.ReLU())\n"
                 "print(type(m) is nn.Linear, type(net[1]) is nn.ReLU, type(m) is type(m),\n"
                 "      type(m) is not nn.Linear, type(nn.MSELoss()) is nn.L1Loss,\n"
                 "      type(type(m)) is type, type(torch.ones(1)) is torch.Tensor)\n")
    assert out == "True True True False False True True\n"


@pytest.mark.parametrize("src, shape, grad_fn", [
    ("torch.flatten(x, 1)", [2, 12], "ViewBackward0"),
    ("x.flatten(start_dim=1, end_dim=1)", [2, 3, 4], "NoneType"),     # x itself
    ("nn.Flatten(0, 1)(x)", [6, 4], "ViewBackward0"),
    ("x.transpose(0, 2).flatten()", [24], "UnsafeViewBackward0"),
    ("x.sum().flatten()", [1], "ViewBackward0"),
])
def test_flatten_merges_the_dims_it_is_given(src, shape, grad_fn):
    _, out = run(f"x = torch.ones(2, 3, 4, requires_grad=True)\nz = {src}\n"
                 "print(list(z.shape), type(z.grad_fn).__name__)\n")
    assert out == f"{shape} {grad_fn}\n"


@pytest.mark.parametrize("src, message, hint", [
    ("torch.exp(3)", "exp(): argument 'input' (position 1) must be Tensor, not int",
     "torch.tensor(3)"),
    ("torch.min(6, 20)", "min() received an invalid combination of arguments - got (int, int)",
     "for Python numbers write min(a, b)"),
    ("torch.abs(-2.5)", "abs(): argument 'input' (position 1) must be Tensor, not float",
     "torch.tensor(-2.5)"),
    ("torch.dot(torch.ones(2), [1, 2])", "dot(): argument 'tensor' (position 2) must be "
     "Tensor, not list", "torch.tensor([1, 2])"),
    ("torch.stack(*[torch.ones(2), torch.ones(2)])", "stack(): argument 'tensors' (position "
     "1) must be tuple of Tensors, not Tensor", "one list"),
    ("nn.Linear(2, 1)(torch.ones(2, dtype=torch.float64))",
     "mat1 and mat2 must have the same dtype, but got Double and Float", ".float()"),
    ("F.cross_entropy(torch.zeros(3, 4), torch.tensor([0., 1, 3]))",
     "expected target dtype to be Long or Byte, but got Float", "target.long()"),
])
def test_a_value_where_a_tensor_goes_is_pytorchs_error(src, message, hint):
    with pytest.raises(GradvizError) as info:
        run("import torch.nn.functional as F\n" + src + "\n")
    assert info.value.message.startswith(message)
    assert hint in info.value.hint


def test_softmax_without_dim_picks_pytorchs_legacy_dim_and_warns():
    record, out = run("print(nn.Softmax()(torch.zeros(2, 2)).sum(1), "
                      "nn.LogSoftmax()(torch.zeros(2, 2, 2)).exp().sum(0))\n")
    assert out == ("tensor([1., 1.]) tensor([[1., 1.],\n        [1., 1.]])\n")
    warned = [ev["message"] for ev in record.events if ev["kind"] == "user_warning"]
    assert [m.split(" has")[0] for m in warned] == ["Implicit dimension choice for softmax",
                                                    "Implicit dimension choice for log_softmax"]
    with pytest.raises(GradvizError, match='missing 1 required positional arguments: "dim"'):
        run("torch.softmax(torch.zeros(2))\n")


def test_kaiming_uniform_with_sqrt5_draws_nn_linears_weight():
    _, out = run("import math\ntorch.manual_seed(3)\na = nn.Linear(5, 4, bias=False).weight\n"
                 "torch.manual_seed(3)\nb = nn.init.kaiming_uniform_(torch.empty(4, 5), "
                 "a=math.sqrt(5))\nprint(torch.equal(a, b), nn.init.calculate_gain('relu'), "
                 "nn.init.calculate_gain('leaky_relu', 1))\n")
    assert out == "True 1.4142135623730951 1.0\n"


def test_sequential_editing_keeps_pytorchs_names():
    _, out = run("net = nn.Sequential(nn.ReLU())\nnet.add_module('act 2', nn.Tanh())\n"
                 "net.append(nn.Linear(1, 1))\nprint([n for n, p in net.named_parameters()])\n"
                 "del net[0]\nnet[0] = nn.Sigmoid()\nprint(net)\n")
    assert out == ("['2.weight', '2.bias']\nSequential(\n  (0): Sigmoid()\n"
                   "  (1): Linear(in_features=1, out_features=1, bias=True)\n)\n")
    with pytest.raises(GradvizError, match="already exists"):
        run("nn.Sequential().add_module('forward', nn.ReLU())\n")


def test_a_list_of_tensors_where_a_tensor_goes_is_hinted_to_stack():
    with pytest.raises(GradvizError) as info:
        run("a = torch.ones(2)\nprint(torch.sum([a, a]))\n")
    assert "torch.stack(the_list)" in info.value.hint and "Tensor(seq" not in info.value.hint


def test_lazy_linear_draws_at_its_first_call_as_linear_would():
    # seeded the same, a LazyLinear called on (4, 2) inputs holds the numbers
    # an nn.Linear(2, 3) made at that moment holds
    _, out = run("torch.manual_seed(0)\nm = nn.LazyLinear(3)\nprint(m, m.in_features)\n"
                 "y = m(ones(4, 2))\nprint(m, type(m).__name__)\nw = m.weight.tolist()\n"
                 "torch.manual_seed(0)\nprint(nn.Linear(2, 3).weight.tolist() == w)\n")
    assert out == ("LazyLinear(in_features=0, out_features=3, bias=True) 0\n"
                   "Linear(in_features=2, out_features=3, bias=True) Linear\nTrue\n")


def test_lazy_linear_parameters_before_the_first_call_are_uninitialized():
    _, out = run("m = nn.LazyLinear(3, bias=False)\nprint(list(m.parameters()), m.bias)\n")
    assert out == "[<UninitializedParameter>] None\n"
    with pytest.raises(GradvizError) as info:
        run("m = nn.LazyLinear(3)\ny = m.weight + 1\n")
    assert info.value.kind == "ValueError" and "<method 'add' of" in info.value.message


def test_lazy_conv2d_draws_at_its_first_call_as_conv2d_would():
    # the input's channels (dim 1 of a batch, 0 of one image) size the weight
    _, out = run("torch.manual_seed(0)\nm = nn.LazyConv2d(2, 3, padding=1)\nprint(m)\n"
                 "y = m(ones(3, 4, 4))\nprint(m, type(m).__name__, y.shape)\n"
                 "w = m.weight.tolist()\ntorch.manual_seed(0)\n"
                 "print(nn.Conv2d(3, 2, 3, padding=1).weight.tolist() == w)\n")
    assert out == ("LazyConv2d(0, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
                   "Conv2d(3, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)) Conv2d "
                   "torch.Size([2, 4, 4])\nTrue\n")


def test_lazy_batch_norm_is_sized_by_its_first_input():
    _, out = run("b = nn.LazyBatchNorm1d(affine=False)\nprint(b.running_mean, b.weight)\n"
                 "y = b(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))\n"
                 "print(b, b.running_mean, b.num_batches_tracked)\n")
    assert out == ("<UninitializedBuffer> None\n"
                   "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                   "track_running_stats=True) tensor([0.2000, 0.4000]) tensor(1)\n")
    with pytest.raises(GradvizError) as info:
        run("b = nn.LazyBatchNorm2d()\ny = b.running_var * 2\n")
    assert info.value.kind == "ValueError" and "uninitialized parameter" in info.value.message


def test_a_lazy_module_s_state_dict_lists_its_uninitialized_parameters():
    _, out = run("print(nn.LazyBatchNorm1d().state_dict())\n")
    assert out == ("OrderedDict([('weight', <UninitializedParameter>), ('bias', "
                   "<UninitializedParameter>), ('running_mean', <UninitializedBuffer>), "
                   "('running_var', <UninitializedBuffer>), ('num_batches_tracked', tensor(0))])\n")


def test_load_state_dict_errors_list_every_key_as_pytorch():
    with pytest.raises(GradvizError) as info:
        run("net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))\n"
            "sd = net.state_dict()\ndel sd['0.bias']\nsd['extra'] = ones(1)\n"
            "sd['2.weight'] = ones(3)\nnet.load_state_dict(sd)\n")
    assert info.value.message == (
        'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: '
        '"0.bias". \n\tUnexpected key(s) in state_dict: "extra". \n\tsize mismatch for '
        '2.weight: copying a param with shape torch.Size([3]) from checkpoint, the shape in '
        'current model is torch.Size([1, 2]).')


def test_state_dict_values_share_the_parameters_memory():
    _, out = run("net = nn.Linear(2, 1)\nsd = net.state_dict()\nsd['bias'].zero_()\n"
                 "print(net.bias.tolist(), sd['bias'].requires_grad, type(sd).__name__)\n"
                 "print(net.load_state_dict({'weight': ones(1, 2), 'bias': ones(1)}), "
                 "net.weight.tolist())\n")
    assert out == "[0.0] False OrderedDict\n<All keys matched successfully> [[1.0, 1.0]]\n"


def test_module_list_parameters_are_a_holding_modules_and_named_by_its_attribute():
    record, out = run("class Net(nn.Module):\n"
                      "    def __init__(self):\n"
                      "        super().__init__()\n"
                      "        self.blocks = nn.ModuleList([nn.Linear(2, 2)])\n"
                      "        self.blocks.extend([nn.ReLU(), nn.Linear(2, 1)])\n"
                      "    def forward(self, x):\n"
                      "        for b in self.blocks:\n"
                      "            x = b(x)\n"
                      "        return x\n"
                      "net = Net()\n"
                      "print(len(net.blocks), [n for n, p in net.named_parameters()])\n"
                      "net(torch.ones(2)).sum().backward()\n")
    assert out.splitlines() == ["3 ['blocks.0.weight', 'blocks.0.bias', 'blocks.2.weight', "
                                "'blocks.2.bias']"]
    params = [n.name for n in record.nodes if n.requires_grad and n.is_leaf]
    assert params == ["net.blocks[0].weight", "net.blocks[0].bias", "net.blocks[2].weight",
                      "net.blocks[2].bias"]


def test_a_module_list_called_is_pytorchs_not_implemented_error():
    with pytest.raises(GradvizError) as info:
        run("ml = nn.ModuleList([nn.Linear(2, 1)])\nml(torch.ones(2))\n")
    assert info.value.kind == "NotImplementedError"
    assert "missing the required \"forward\"" in info.value.message
    assert "for layer in" in info.value.hint


def test_float_of_a_tensor_that_requires_grad_warns_once_as_pytorch():
    # PyTorch warns (once a process) at float(l.sum()) in d2l's training loops
    # (line 5: run() puts two import lines first)
    record, out = run("w = torch.ones(2, requires_grad=True)\nfor i in range(3):\n"
                      "    a = float((w * i).sum())\nb = float(w.detach().sum()) + int(w[0])\n"
                      "print(a, b)\n")
    assert out == "4.0 3.0\n"
    warned = [(ev["line"], ev["message"]) for ev in record.events if ev["kind"] == "user_warning"]
    assert warned == [(5, "Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.")]


@pytest.mark.parametrize("value", ["None", "1.5", "True"])
def test_nll_loss_ignore_index_that_is_no_int_is_pytorchs_type_error(value):
    # (None was an internal error, found by fuzzing)
    with pytest.raises(GradvizError) as info:
        run("import torch.nn.functional as F\nF.nll_loss(torch.zeros(2, 3), torch.tensor([0, 1]), "
            f"ignore_index={value})\n")
    assert info.value.message.startswith("nll_loss_nd(): argument 'ignore_index' (position 5) "
                                         "must be int, not ")
    assert info.value.hint


# ---- forward hooks, and an activation layer's Module methods -------------------

def test_an_activation_layer_has_modules_methods_and_names_itself_in_errors():
    _, out = run("r = nn.ReLU()\nprint(r.training, r.eval().training, list(r.parameters()), "
                 "[n for n, _ in r.named_modules()], nn.LeakyReLU(0.2).negative_slope)\n")
    assert out == "True False [] [''] 0.2\n"
    with pytest.raises(GradvizError) as info:
        run("nn.ReLU().weight\n")
    assert info.value.message == "'ReLU' object has no attribute 'weight'"
    assert "register_forward_hook()" in info.value.hint


def test_a_forward_pre_hook_with_kwargs_must_return_a_pair():
    with pytest.raises(GradvizError) as info:
        run("m = nn.Linear(2, 2)\nm.register_forward_pre_hook(lambda m, a, k: 1, with_kwargs=True)\n"
            "m(torch.ones(2))\n")
    assert info.value.message.startswith("forward pre-hook must return None or a tuple of "
                                         "(new_args, new_kwargs), but got 1")
    assert info.value.span.line == 2 + 3          # (after run()'s two import lines)
