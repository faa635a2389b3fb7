"""The same workloads for the other contenders: PyTorch (running the very
same program text), numpy by hand (the floor: no graph at all), micrograd."""
from __future__ import annotations

import numpy as np

TORCH_NAMES = """tensor arange ones zeros full eye linspace ones_like zeros_like exp log
sqrt abs sin cos tanh sigmoid relu sum mean max min prod dot matmul mm mv transpose reshape
softmax log_softmax where clamp maximum minimum pow cat stack outer norm square neg randn rand
manual_seed""".split()


def torch_namespace():
    """The DSL is Python once the bare names are torch's."""
    import torch
    import torch.nn.functional as F
    ns = {name: getattr(torch, name) for name in TORCH_NAMES}
    ns.update(torch=torch, F=F, mse_loss=F.mse_loss, cross_entropy=F.cross_entropy,
              grad=torch.autograd.grad)
    return ns


def run_torch(text: str, ns: dict):
    exec(compile(text, "<bench>", "exec"), dict(ns))


# ---- numpy by hand -------------------------------------------------------

def numpy_deep_chain(n: int, width: int = 16, dtype=np.float64):
    x = np.ones(width, dtype)
    hs = [x]
    h = x
    a, b = dtype(1.01), dtype(0.1)
    for _ in range(n):
        h = np.tanh(h * a + b)
        hs.append(h)
    g = np.ones(width, dtype)
    for i in range(n, 0, -1):
        g = g * (1 - hs[i] * hs[i]) * a
    return g


def numpy_wide(size=512, batch=256, dtype=np.float32, with_init=False):
    """W2 by hand: the matmuls and their gradients; with_init also draws the
    weights and the batch in every run, as the program does."""
    def init():
        # gradviz's own draws (PyTorch's generator, in numpy), so that the
        # floor draws as fast as gradviz can
        from gradviz.rng import CPUGenerator
        rng = CPUGenerator(0)
        dt = np.dtype(dtype)
        return (rng.normal((size, size), dt), rng.normal((size, size), dt),
                rng.normal((size, batch), dt))
    W1, W2, x = init()

    def step():
        if with_init:
            return grads(*init())
        return grads(W1, W2, x)

    def grads(W1, W2, x):
        z1 = W1 @ x
        h = np.maximum(z1, 0)
        o = np.tanh(W2 @ h)
        go = 2 * o
        gz2 = go * (1 - o * o)
        gW2 = gz2 @ h.T
        gh = W2.T @ gz2
        gz1 = gh * (z1 > 0)
        gW1 = gz1 @ x.T
        return gW1, gW2
    return step


def numpy_scalar_mlp(sizes=(3, 16, 16, 1), batch=4, seed=0):
    """W3 vectorised (what numpy would do with the same math)."""
    rng = np.random.default_rng(seed)
    Ws = [rng.uniform(-1, 1, (sizes[i + 1], sizes[i])) for i in range(len(sizes) - 1)]
    bs = [np.zeros(sizes[i + 1]) for i in range(len(sizes) - 1)]
    X = rng.uniform(-1, 1, (batch, sizes[0]))
    Y = rng.choice([-1.0, 1.0], (batch, 1))

    def step():
        acts = [X]
        for k, (W, b) in enumerate(zip(Ws, bs)):
            z = acts[-1] @ W.T + b
            acts.append(z if k == len(Ws) - 1 else np.tanh(z))
        g = 2 * (acts[-1] - Y)
        grads = []
        for k in range(len(Ws) - 1, -1, -1):
            grads.append((g.T @ acts[k], g.sum(0)))
            if k:
                g = (g @ Ws[k]) * (1 - acts[k] ** 2)
        return grads
    return step


# ---- micrograd -------------------------------------------------------------

def micrograd_available() -> bool:
    try:
        import micrograd.engine  # noqa: F401
        return True
    except ImportError:
        return False


def _micrograd_value():
    """micrograd's Value, with tanh added as in micrograd's lecture notebook
    (the released package has only relu): a closure-based op like the rest."""
    import math

    from micrograd.engine import Value
    if not hasattr(Value, "tanh"):
        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,), "tanh")

            def _backward():
                self.grad += (1 - t * t) * out.grad
            out._backward = _backward
            return out
        Value.tanh = tanh
    return Value


def micrograd_deep_chain(n: int, width: int = 16):
    Value = _micrograd_value()
    xs = [Value(1.0) for _ in range(width)]
    hs = list(xs)
    for _ in range(n):
        hs = [(h * 1.01 + 0.1).tanh() for h in hs]
    loss = hs[0]
    for h in hs[1:]:
        loss = loss + h
    loss.backward()


def micrograd_scalar_mlp(sizes=(3, 16, 16, 1), batch=4, seed=0):
    import random
    Value = _micrograd_value()
    rnd = random.Random(seed)
    Ws = [[[Value(rnd.uniform(-1, 1)) for _ in range(sizes[i])] for _ in range(sizes[i + 1])]
          for i in range(len(sizes) - 1)]
    bs = [[Value(0.0) for _ in range(sizes[i + 1])] for i in range(len(sizes) - 1)]
    loss = Value(0.0)
    for _ in range(batch):
        a = [Value(rnd.uniform(-1, 1)) for _ in range(sizes[0])]
        for k in range(len(Ws)):
            last = k == len(Ws) - 1
            out = []
            for j in range(sizes[k + 1]):
                z = bs[k][j]
                for i in range(sizes[k]):
                    z = z + Ws[k][j][i] * a[i]
                out.append(z if last else z.tanh())
            a = out
        e = a[0] - rnd.choice([-1.0, 1.0])
        loss = loss + e * e
    loss.backward()


def micrograd_program_text(text: str):
    """W3's very program text run by micrograd, as PyTorch's row runs it:
    Python compiles the text and runs it with micrograd's Value as the
    tensor (a run of the same scalar program, its reading included, where
    micrograd_scalar_mlp is micrograd's own loop, compiled before timing)."""
    Value = _micrograd_value()
    ns = {"tensor": lambda v, requires_grad=False: Value(v), "tanh": lambda v: v.tanh()}

    def run():
        exec(compile(text, "<bench>", "exec"), dict(ns))
    return run
