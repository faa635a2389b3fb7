"""Python's random module in programs (gradviz.pyrandom): Python's own
numbers for the same seed, a generator per run (never the random module's
shared one), the default seed of an unseeded program, and Python's errors.
PyTorch's side (tensors as sequences, shuffle's repeated rows) is pinned by
tests/conformance_extra/random_*.txt."""
import random

import pytest

from gradviz.errors import GradvizError
from gradviz.pyrandom import DEFAULT_SEED
from programs import run

# (the program's call, the same call on a random.Random)
CALLS = (("random.random()", lambda r: r.random()),
         ("random.uniform(-2, 5)", lambda r: r.uniform(-2, 5)),
         ("random.randint(1, 6)", lambda r: r.randint(1, 6)),
         ("random.randrange(3, 40, 7)", lambda r: r.randrange(3, 40, 7)),
         ("random.gauss(1.0, 2.0)", lambda r: r.gauss(1.0, 2.0)),
         ("random.normalvariate(0.0, 3.0)", lambda r: r.normalvariate(0.0, 3.0)),
         ("random.choice('abcdef')", lambda r: r.choice("abcdef")),
         ("random.choices(range(10), weights=[1, 2, 3, 4, 5, 5, 4, 3, 2, 1], k=4)",
          lambda r: r.choices(range(10), weights=[1, 2, 3, 4, 5, 5, 4, 3, 2, 1], k=4)),
         ("random.sample(range(50), 5)", lambda r: r.sample(range(50), 5)))
PROGRAM = "".join(f"print({call})\n" for call, _ in CALLS)


def drawn(src: str) -> list:
    """What the program printed, a line per print."""
    return run(src)[1].splitlines()


def python_draws(seed) -> list:
    r = random.Random(seed)
    return [str(f(r)) for _, f in CALLS]


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**70 + 3, "d2l", 0.5])
def test_every_function_draws_pythons_numbers(seed):
    src = f"import random\nrandom.seed({seed!r})\n" + PROGRAM
    assert drawn(src) == python_draws(seed)


def test_an_unseeded_program_draws_the_default_seed_on_every_run():
    src = "import random\n" + PROGRAM
    assert drawn(src) == drawn(src) == python_draws(DEFAULT_SEED)
    # seed() and seed(None), the OS's randomness in Python, are that seed too
    assert drawn(src.replace("\n", "\nrandom.seed(7)\nrandom.seed()\n", 1)) == drawn(src)


def test_shuffle_is_pythons_in_place_on_the_programs_list():
    src = ("from random import shuffle, seed\nseed(4)\nxs = list(range(20))\nys = xs\n"
           "shuffle(xs)\nprint(ys)\n")
    want = list(range(20))
    random.Random(4).shuffle(want)
    assert drawn(src) == [repr(want)]
    assert want != sorted(want)


def test_a_run_owns_its_generator():
    random.seed(99)
    before = random.getstate()
    draws = drawn("import random\nrandom.seed(5)\nprint(random.random())\n")
    assert random.getstate() == before              # the module's own state is untouched
    assert draws == [repr(random.Random(5).random())]
    # a run after a seeded one starts from the default seed again
    assert drawn("import random\nprint(random.random())\n") == \
        [repr(random.Random(DEFAULT_SEED).random())]


def test_getstate_and_setstate_replay_the_draws():
    src = ("import random\ns = random.getstate()\na = random.random()\n"
           "random.setstate(s)\nprint(a == random.random())\n")
    assert drawn(src) == ["True"]


@pytest.mark.parametrize("call, kind, message", [
    ("random.choice([])", "IndexError", "Cannot choose from an empty sequence"),
    ("random.shuffle((1, 2))", "TypeError", "'tuple' object does not support item assignment"),
    ("random.shuffle(None)", "TypeError", "object of type 'NoneType' has no len()"),
    ("random.randint(5, 3)", "ValueError", "empty range for randrange() (5, 4, -1)"),
    ("random.sample(torch.arange(4), 2)", "TypeError", "Population must be a sequence."),
    ("random.choice(torch.tensor(1.0))", "TypeError", "len() of a 0-d tensor"),
    ("random.randrange(torch.tensor([1, 2]))", "ValueError",
     "only one element tensors can be converted to Python scalars"),
])
def test_errors_are_pythons_with_a_hint(call, kind, message):
    with pytest.raises(GradvizError) as info:
        run(f"import random\n{call}\n")
    assert info.value.kind == kind
    assert info.value.message.startswith(message)
    assert info.value.hint


def test_the_lists_it_makes_count_against_the_runs_budget():
    with pytest.raises(GradvizError) as info:
        run("import random\nxs = random.choices([1], k=10**9)\n")
    assert info.value.kind == "LimitError"

