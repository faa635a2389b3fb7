"""Which of PyTorch's warnings a run shows, and at which lines: Python's
default filter shows a warning once per place it is given from (the
program's line, or a line of PyTorch's own Python, as meshgrid's and
chain_matmul's), and PyTorch's TORCH_WARN_ONCE once a process (cross without
dim, where with a uint8 condition). The lines below are those PyTorch 2.13
showed for the same program run as Python."""
from click.testing import CliRunner

from gradviz import cli

PROGRAM = """x = torch.ones(3, requires_grad=True)
for i in range(2):
    a = torch.cross(x, x)
    b = torch.cross(x, x)
    c = torch.where(torch.tensor([1, 0, 1], dtype=torch.uint8), x, 0.0)
    d = torch.where(torch.tensor([1, 0, 1], dtype=torch.uint8), x, 0.0)
    e = torch.meshgrid(x, x)
    f = torch.meshgrid(x, x)
    g = F.softmin(x)
    h = F.softmin(x)
    k = F.mse_loss(x, torch.ones(1))
    m = F.l1_loss(x, torch.ones(1))
x.sum().backward()
"""
SHOWN = [(3, "Using torch.cross without specifying the dim arg is deprecated. Please either "
             "pass the dim explicitly or simply use torch.linalg.cross. The default value of dim "
             "will change to agree with that of linalg.cross in a future release."),
         (5, "where received a uint8 condition tensor."),
         (7, "torch.meshgrid: in an upcoming release,"),
         (9, "Implicit dimension choice for softmin"), (10, "Implicit dimension choice for softmin"),
         (11, "Using a target size (torch.Size([1])) that is different to the input size "
              "(torch.Size([3])). This will likely lead to incorrect results due to broadcasting. "
              "Please ensure they have the same size."),
         (12, "Using a target size (torch.Size([1]))")]


def test_each_warning_shows_once_per_place_as_python_shows_pytorch_s(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text(PROGRAM)
    result = CliRunner().invoke(cli.main, ["run", str(prog), "--no-tables"])
    assert result.exit_code == 0
    warned = [ln.removeprefix("warning: line ") for ln in result.stderr.splitlines()
              if "UserWarning" in ln]
    assert len(warned) == len(SHOWN)
    for shown, (line, words) in zip(warned, SHOWN):
        assert shown.startswith(f"{line}: UserWarning: {words}")


def test_a_warning_comes_before_the_error_it_explains(tmp_path):
    # Python prints a warning when it is raised, so before the traceback of a
    # later error: here the warning says why y.grad is None
    prog = tmp_path / "p.txt"
    prog.write_text("x = torch.ones(3, requires_grad=True)\ny = x * 2\nprint(y.grad.zero_())\n")
    for command in (["run", str(prog), "--no-tables"],
                    ["render", str(prog), "-o", str(tmp_path / "p.dot")]):
        result = CliRunner().invoke(cli.main, command)
        assert result.exit_code == 1
        err = result.stderr
        assert 0 <= err.index("not a leaf Tensor") < err.index("error: 'NoneType' object")


def test_the_older_weight_norm_warns_once_a_run_before_its_errors(tmp_path):
    # PyTorch gives its FutureWarning from a line of its own (Python shows it
    # once a process), before the function's checks; spectral_norm and the
    # parametrizations' weight_norm give none
    prog = tmp_path / "p.txt"
    prog.write_text("a = nn.utils.weight_norm(nn.Linear(2, 2))\n"
                    "b = nn.utils.spectral_norm(nn.Linear(2, 2))\n"
                    "c = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))\n"
                    "d = nn.utils.weight_norm(nn.LSTM(2, 2), name='weight_hh_l0')\n"
                    "nn.utils.weight_norm(a)\n")
    result = CliRunner().invoke(cli.main, ["run", str(prog), "--no-tables"])
    assert result.exit_code == 1
    warned = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert warned == ["warning: line 1: FutureWarning: `torch.nn.utils.weight_norm` is "
                      "deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`."]
    assert "Cannot register two weight_norm hooks on the same parameter weight" in result.stderr
