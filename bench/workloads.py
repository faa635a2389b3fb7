"""The benchmark workloads as generators of DSL programs (and the same
computation for the other contenders: PyTorch runs the program text itself,
numpy and micrograd get hand-written equivalents)."""
from __future__ import annotations

import random


def deep_chain(n: int, width: int = 16) -> str:
    """W1: h = tanh(h * 1.01 + 0.1), n steps (3n ops), then sum and backward."""
    lines = [f"x = ones({width}, requires_grad=True)", "h = x"]
    lines += ["h = tanh(h * 1.01 + 0.1)"] * n
    lines += ["loss = h.sum()", "loss.backward()"]
    return "\n".join(lines) + "\n"


def wide(size: int = 512, batch: int = 256) -> str:
    """W2: a two-layer net on big matrices: graph overhead vs BLAS."""
    return "\n".join([
        "manual_seed(0)",
        f"W1 = randn({size}, {size}, requires_grad=True)",
        f"W2 = randn({size}, {size}, requires_grad=True)",
        f"x = randn({size}, {batch})",
        "h = relu(W1 @ x)",
        "o = tanh(W2 @ h)",
        "loss = sum(o * o)",
        "loss.backward()",
    ]) + "\n"


def scalar_mlp(sizes=(3, 16, 16, 1), batch: int = 4, seed: int = 0) -> str:
    """W3: an MLP written with 0-d tensors only (one op per scalar multiply,
    add and tanh), like micrograd's: about 2,700 ops for 3-16-16-1 x 4."""
    rnd = random.Random(seed)
    lines = []
    for layer in range(len(sizes) - 1):
        for j in range(sizes[layer + 1]):
            for i in range(sizes[layer]):
                lines.append(f"w{layer}_{j}_{i} = tensor({rnd.uniform(-1, 1):.4f}, requires_grad=True)")
            lines.append(f"b{layer}_{j} = tensor(0.0, requires_grad=True)")
    loss_terms = []
    for s in range(batch):
        for i in range(sizes[0]):
            lines.append(f"a0_{i} = tensor({rnd.uniform(-1, 1):.4f})")
        for layer in range(len(sizes) - 1):
            last = layer == len(sizes) - 2
            for j in range(sizes[layer + 1]):
                terms = " + ".join(f"w{layer}_{j}_{i} * a{layer}_{i}" for i in range(sizes[layer]))
                expr = f"{terms} + b{layer}_{j}"
                lines.append(f"a{layer + 1}_{j} = {expr if last else f'tanh({expr})'}")
        lines.append(f"y{s} = tensor({rnd.choice([-1.0, 1.0])})")
        lines.append(f"e{s} = a{len(sizes) - 1}_0 - y{s}")
        loss_terms.append(f"e{s} * e{s}")
    lines.append("loss = " + " + ".join(loss_terms))
    lines.append("loss.backward()")
    return "\n".join(lines) + "\n"


def parse_only(n_lines: int = 30_000) -> str:
    """A long program for the parser: the W1 line repeated."""
    return deep_chain(n_lines)


def parse_distinct(n_lines: int = 30_000, width: int = 16) -> str:
    """The same chain with a new name on every line: no line repeats, so
    every line is parsed (parse_only's lines share one tree)."""
    lines = [f"h0 = ones({width}, requires_grad=True)"]
    lines += [f"h{i} = tanh(h{i - 1} * 1.01 + 0.1)" for i in range(1, n_lines + 1)]
    lines += [f"loss = h{n_lines}.sum()", "loss.backward()"]
    return "\n".join(lines) + "\n"
