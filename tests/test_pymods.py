"""Python's standard-library modules a learner's script imports (collections,
itertools, functools, copy, operator, string, time, warnings, dataclasses): what the
conformance cases (tests/conformance_extra/collections_*, itertools_*,
functools_*, copy_*, pymods_*) cannot pin against PyTorch: the run's own
clock, warnings on stderr, the type names, what copy.deepcopy shares, and the
hints where gradviz refuses."""
import pytest

from gradviz.errors import GradvizError
from programs import run


def printed(src: str) -> list:
    return run(src)[1].splitlines()


def test_the_clock_stands_still_and_sleep_moves_it_so_a_run_prints_the_same_each_time():
    src = ("import time\nt0 = time.time()\np0 = time.perf_counter()\nx = torch.ones(3).sum()\n"
           "print(f'{time.time() - t0:.2f}s', time.perf_counter() - p0)\ntime.sleep(1.5)\n"
           "print(time.time() - t0, time.perf_counter_ns() - int(p0 * 1e9))\n")
    first = printed(src)
    assert first == printed(src) == ["0.00s 0.0", "1.5 1500000000"]


def test_warnings_warn_shows_on_stderr_as_pytorchs_warnings_and_filterwarnings_silences(
        tmp_path):
    from click.testing import CliRunner

    from gradviz import cli
    prog = tmp_path / "p.txt"
    prog.write_text("import warnings\nfor i in range(2):\n    warnings.warn('lr is large')\n"
                    "warnings.warn('old', DeprecationWarning)\nwarnings.filterwarnings('ignore')\n"
                    "warnings.warn('never')\nprint('done')\n")
    result = CliRunner().invoke(cli.main, ["run", str(prog), "--no-tables"])
    assert result.exit_code == 0 and result.stdout == "done\n"
    warned = [ln for ln in result.stderr.splitlines() if "Warning" in ln]
    assert warned == ["warning: line 3: UserWarning: lr is large",
                      "warning: line 4: DeprecationWarning: old"]


@pytest.mark.parametrize("expr,shown", [
    ("type(collections.OrderedDict())", "<class 'collections.OrderedDict'>"),
    ("type(collections.defaultdict(int))", "<class 'collections.defaultdict'>"),
    ("type(collections.Counter())", "<class 'collections.Counter'>"),
    ("type(collections.deque())", "<class 'collections.deque'>"),
    ("type(itertools.product([1]))", "<class 'itertools.product'>"),
    ("type(itertools.chain([1]))", "<class 'itertools.chain'>"),
    ("isinstance(collections.defaultdict(int), dict)", "True"),
    ("isinstance(collections.namedtuple('P', 'x')(1), tuple)", "True"),
])
def test_the_values_types_are_pythons(expr, shown):
    assert printed(f"import collections\nimport itertools\nprint({expr})\n") == [shown]


def test_deepcopy_copies_each_tensor_once_and_shares_what_the_program_defines():
    out = printed("import copy\nimport torch.nn as nn\nclass Net(nn.Module):\n"
                  "    def __init__(self):\n        super().__init__()\n"
                  "        self.a = nn.Linear(2, 2)\n        self.b = self.a\n"
                  "    def forward(self, x):\n        return self.b(self.a(x))\n"
                  "net = Net()\nc = copy.deepcopy(net)\n"
                  "print(type(c) is Net, c.a is c.b, c.a.weight is net.a.weight)\n"
                  "print(len(list(c.parameters())), c(torch.ones(1, 2)).shape)\n")
    assert out == ["True True False", "2 torch.Size([1, 2])"]


def test_a_copy_trains_apart_from_its_original():
    out = printed("import copy\ntorch.manual_seed(0)\nm = torch.nn.Linear(2, 1)\n"
                  "best = copy.deepcopy(m)\nopt = torch.optim.SGD(m.parameters(), lr=1.0)\n"
                  "m(torch.ones(1, 2)).sum().backward()\nopt.step()\n"
                  "print(torch.equal(best.weight, m.weight), best.weight.grad)\n")
    assert out == ["False None"]


@pytest.mark.parametrize("src,hint", [
    ("from dataclasses import dataclass\n@dataclass(slots=True)\nclass C:\n    x: int = 1\n",
     "take init=, repr=, eq=, order=, unsafe_hash= and frozen="),
    ("from dataclasses import dataclass\nC = dataclass(3)\n", "@dataclass on a class"),
    ("import copy\ncopy.copy(torch.ones(1))\n", "t.clone()"),
    ("from collections import defaultdict\nd = defaultdict(3)\n", "defaultdict(list)"),
])
def test_what_is_refused_says_what_to_write(src, hint):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert hint in info.value.hint


def test_the_import_hint_names_the_modules_there_are():
    with pytest.raises(GradvizError) as info:
        run("import pandas\n")
    for name in ("collections", "itertools", "functools", "copy", "time", "warnings",
                 "dataclasses"):
        assert name in info.value.hint


def test_count_and_cycle_are_lazy_under_islice_and_a_list_of_them_meets_the_limit():
    assert printed("from itertools import count, cycle, islice\n"
                   "print(list(islice(count(), 3)), list(islice(cycle([1, 2]), 3)))\n") == \
        ["[0, 1, 2] [1, 2, 1]"]
    with pytest.raises(GradvizError) as info:
        run("from itertools import count\nxs = list(count())\n")
    assert "limit" in info.value.message


def test_a_dataclass_fields_are_its_blocks_annotations_not_its_methods():
    out = printed("from dataclasses import dataclass\n@dataclass\nclass C:\n    a: int\n"
                  "    b = 5\n    def f(self):\n        c: int = 3\n        return c\n"
                  "    d: float = 0.5\nprint(C(1), C(1).f(), C(1).b, C(2, d=1.0))\n")
    assert out == ["C(a=1, d=0.5) 3 5 C(a=2, d=1.0)"]
