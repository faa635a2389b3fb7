"""Record a case as PyTorch runs it in a plain script (`import torch` only).

The shared oracle (torch_oracle.py) runs a program with torch's functions
bound to bare names, as after `from torch import *`: there a bare sum, max,
min, abs or pow is torch's, and refuses Python numbers. gradviz follows it
for tensors, but calls Python's builtins for everything else, as a script
that only imported torch does (see gradviz/bare_builtins.py). The cases in
tests/conformance_script pin that half: this records them with the same
oracle, those five names left to Python.

usage: python scripts/script_oracle.py ORACLE.py CASE.txt [CASE.txt ...]
"""
import importlib.util
import sys

SHADOWING = ("sum", "max", "min", "abs", "pow")


def main(argv: list[str]) -> None:
    spec = importlib.util.spec_from_file_location("torch_oracle", argv[0])
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    oracle.NAMES = [n for n in oracle.NAMES if n not in SHADOWING]
    for path in argv[1:]:
        err = oracle.run(path)
        print(path, "ERROR " + err["type"] + ": " + err["message"] if err else "ok")


if __name__ == "__main__":
    main(sys.argv[1:])
