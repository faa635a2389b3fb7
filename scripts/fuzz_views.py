"""Programs that mix views, in-place writes and hooks, run under PyTorch and
gradviz and compared (as scripts/fuzz_diff.py runs and compares them).

    python scripts/fuzz_views.py [--count 40] [--seed 1] [--out DIR] [--show]

Each program makes a leaf w and a base x = w * c, takes views of x and of
those views (slices, transpose, view, unsqueeze, expand, diagonal, unbind,
split, narrow, as_strided, select), writes into some of them and into x in
place (add_, mul_, clamp_, copy_, index_put_, masked_fill_, zero_, +=),
registers hooks and retain_grad() on them before and after the writes,
prints _version, is_leaf and grad_fn names on the way, and ends with one
backward() over what it holds (each step in a try, so that PyTorch's
refusals are compared too, by their message). Prints the count of each
outcome and, with --show, every differing program with both outputs;
--out writes them to DIR. Exits 1 if anything differed.
"""
from __future__ import annotations

import argparse
import random
import signal
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_diff  # noqa: E402  (the runners and the comparison)

# view ops: (text with {t} for the tensor, shape -> shape or None when it does not apply)
VIEWS = [
    ("{t}[1:]", lambda s: (s[0] - 1, *s[1:]) if s and s[0] > 1 else None),
    ("{t}[:, ::2]", lambda s: (s[0], (s[1] + 1) // 2, *s[2:]) if len(s) >= 2 else None),
    ("{t}.t()", lambda s: s[::-1] if len(s) == 2 else None),
    ("{t}.transpose(0, 1)", lambda s: (s[1], s[0], *s[2:]) if len(s) >= 2 else None),
    ("{t}.view(-1)", lambda s: (_n(s),) if s else None),
    ("{t}.unsqueeze(0)", lambda s: (1, *s) if len(s) < 3 else None),
    ("{t}[0]", lambda s: s[1:] if s and s[0] > 0 else None),
    ("{t}.select(0, 1)", lambda s: s[1:] if s and s[0] > 1 else None),
    ("{t}.diagonal()", lambda s: (min(s),) if len(s) == 2 else None),
    ("{t}.narrow(0, 1, 2)", lambda s: (2, *s[1:]) if s and s[0] >= 3 else None),
    ("{t}.unbind(0)[1]", lambda s: s[1:] if s and s[0] > 1 else None),
    ("{t}.split(2)[0]", lambda s: (min(2, s[0]), *s[1:]) if s else None),
    ("{t}[:1].expand(3, -1)", lambda s: (3, s[1]) if len(s) == 2 else None),
    ("{t}.as_strided((2, 2), (1, 2), 1)", lambda s: (2, 2) if len(s) == 2 and _n(s) >= 6 else None),
]
HOOK_WORDS = ("hook", "seen", "grad")


def _n(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _writes(t: str, shape: tuple, rng: random.Random) -> list[str]:
    """In-place writes into t (of shape) a program may make."""
    shp = repr(tuple(shape)).replace(",)", ")") if len(shape) != 1 else f"({shape[0]},)"
    k = rng.choice([0.5, 2.0, -1.5, 3.0])
    out = [f"{t}.add_({k})", f"{t}.mul_({k})", f"{t}.clamp_(min={k})", f"{t}.zero_()",
           f"{t} += {k}", f"{t}.copy_(torch.full({shp}, {k}))",
           f"{t}.masked_fill_(torch.ones({shp}).bool(), {k})",
           f"{t}.mul_(w2.sum() * {k})", f"{t}.add_(torch.ones({shp}) * w2.sum())"]
    if shape:
        out.append(f"{t}.index_put_((torch.tensor([0]),), torch.tensor({k}))")
    return out


def program(rng: random.Random) -> str:
    lines = ["w = (torch.arange(24.0) / 10 - 1).reshape(4, 6).requires_grad_()",
             "w2 = torch.tensor(0.5, requires_grad=True)",
             "x = w * torch.arange(1.0, 7.0)"]
    held = {"x": (4, 6)}               # name -> shape
    hooked = 0
    for step in range(rng.randint(6, 11)):
        kind = rng.random()
        name = rng.choice(sorted(held))
        shape = held[name]
        if kind < 0.35:
            text, rule = rng.choice(VIEWS)
            new = rule(shape)
            if new is None:
                continue
            v = f"v{step}"
            lines.append(f"{v} = {text.format(t=name)}")
            held[v] = new
        elif kind < 0.65:
            lines.append(_try(rng.choice(_writes(name, shape, rng))))
        elif kind < 0.78:
            hooked += 1
            word = rng.choice(HOOK_WORDS)
            lines.append(_try(f"{name}.register_hook(lambda g: print('{word}{hooked} {name}', "
                              f"g.sum().item()))"))
        elif kind < 0.86:
            lines.append(_try(f"{name}.retain_grad()"))
        else:
            lines.append(_try(f"print('{name}', {name}._version, {name}.is_leaf, "
                              f"{name}.grad_fn.name() if {name}.grad_fn is not None else None)"))
    weights = [f"({n} * {i + 1}).sum()" for i, n in enumerate(sorted(held))]
    lines.append(_try("loss = " + " + ".join(weights) + "\nloss.backward()"))
    lines.append("print(w.grad)\nprint(w2.grad)")
    for n in sorted(held):
        lines.append(_try(f"print('{n}', {n}.grad if {n}.retains_grad else None, "
                          f"{n}._version)"))
    return "\n".join(lines) + "\n"


def _try(body: str) -> str:
    """body in a try, a refusal printed by its message's first 90 characters."""
    inner = "\n".join("    " + line for line in body.splitlines())
    return f"try:\n{inner}\nexcept RuntimeError as e:\n    print('error', str(e)[:90])"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=None, help="write differing programs here")
    ap.add_argument("--show", action="store_true", help="print differing programs")
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    signal.signal(signal.SIGALRM, fuzz_diff._alarm)
    counts = Counter()
    for i in range(args.count):
        src = program(random.Random(f"{args.seed}-views-{i}"))
        got = fuzz_diff.run_gradviz(src, args.timeout)
        want = fuzz_diff.run_torch(src, args.timeout)
        category, why = ("skipped", "") if want is None else \
            fuzz_diff.compare(got, want, messages=True)
        counts[category] += 1
        if category in ("same", "skipped", "noise"):
            continue
        if args.show:
            print(f"--- program {i}: {category}: {why}\n{src}")
        if args.out:
            fuzz_diff.write_case(args.out, f"views-{i}", src, why, got, want)
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    return 1 if set(counts) - {"same", "skipped", "noise"} else 0


if __name__ == "__main__":
    sys.exit(main())
