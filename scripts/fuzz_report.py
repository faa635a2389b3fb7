"""Run thousands of mangled programs through gradviz and count what happened.

    python scripts/fuzz_report.py [--count 5000] [--seed 0] [--crashes DIR] [--only ints seqs]

Each program comes from one of the generators in tests/test_fuzz.py (random
bytes, token soup, mutated samples, deep nesting, huge sizes, random typed
calls) and runs in-process through the whole pipeline (run, JSON, NaN/inf
report, DOT). The outcome is "ok", the kind of the GradvizError (the
program's fault, told with its line), a crash (any other exception: a bug)
or a hang (more than --hang seconds). Prints a Markdown table for the
README's Reliability section; exits 1 if anything crashed or hung, and
writes those programs to --crashes.
"""
from __future__ import annotations

import argparse
import gc
import random
import signal
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_fuzz  # noqa: E402  (the generators live beside the fuzz test)

from gradviz.errors import GradvizError  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=5000, help="programs in all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hang", type=float, default=10.0, help="seconds before a run is a hang")
    ap.add_argument("--crashes", type=Path, default=None, help="write crashing programs here")
    ap.add_argument("--only", nargs="+", default=None, metavar="CATEGORY",
                    help="these generators only (all of --count among them)")
    args = ap.parse_args(argv)

    categories = sorted(args.only or test_fuzz.GENERATORS)
    per = args.count // len(categories)
    outcomes: dict[str, Counter] = {c: Counter() for c in categories}
    bad = []
    slowest = (0.0, "")
    signal.signal(signal.SIGALRM, _alarm)
    start = time.monotonic()
    for ci, category in enumerate(categories):
        gen = test_fuzz.GENERATORS[category]
        for i in range(per):
            r = random.Random(f"{args.seed}-{category}-{i}")
            src = gen(r)
            t0 = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, args.hang)
            try:
                outcome = test_fuzz.run_pipeline(src)
            except Hang:
                outcome = "HANG"
                bad.append((category, i, src, "hang"))
            except GradvizError as exc:    # escaped run_pipeline: cannot happen
                outcome = exc.kind
            except BaseException as exc:   # noqa: BLE001 - a crash is what we count
                if isinstance(exc, KeyboardInterrupt):
                    raise
                outcome = "CRASH"
                bad.append((category, i, src, traceback.format_exc()))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.monotonic() - t0
            if took > slowest[0]:
                slowest = (took, f"{category} #{i}")
            outcomes[category][outcome] += 1
            if i % 200 == 199:
                # garbage cycles of finished runs are left to the oldest GC
                # generation, which a long loop seldom collects
                gc.collect()
    elapsed = time.monotonic() - start

    kinds = sorted({k for c in outcomes.values() for k in c} - {"ok", "CRASH", "HANG"})
    total = Counter()
    for c in outcomes.values():
        total.update(c)
    print(f"{per * len(categories):,} programs in {elapsed:.0f} s "
          f"(slowest {slowest[0]:.2f} s: {slowest[1]}); seed {args.seed}\n")
    head = ["inputs", "tried", "ran", *kinds, "crashed", "hung"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for category in categories + ["all"]:
        c = total if category == "all" else outcomes[category]
        row = [f"**{category}**" if category == "all" else category, f"{sum(c.values()):,}",
               f"{c['ok']:,}", *(f"{c[k]:,}" for k in kinds), f"{c['CRASH']:,}", f"{c['HANG']:,}"]
        print("| " + " | ".join(row) + " |")
    if bad:
        print(f"\n{len(bad)} programs crashed or hung", file=sys.stderr)
        if args.crashes:
            args.crashes.mkdir(parents=True, exist_ok=True)
            for category, i, src, why in bad:
                (args.crashes / f"{category}-{i}.txt").write_text(src, encoding="utf-8",
                                                                  errors="surrogateescape")
                (args.crashes / f"{category}-{i}.why").write_text(why)
        else:
            for category, i, src, why in bad[:5]:
                print(f"--- {category} #{i}\n{src[:500]}\n{why}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
