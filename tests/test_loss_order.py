"""cross_entropy's and nll_loss's totals add up in PyTorch's order: the
float32 loss.item() matches it to the last bit (checked against PyTorch
when it is installed)."""
import numpy as np
import pytest

from gradviz.ops import OPS

from machine import live_exact

torch = pytest.importorskip("torch")
F = torch.nn.functional


# (machine.py: gradviz's log_softmax follows the vector width of the kernels
# PyTorch runs, AVX512's or AVX2's; under its default kernels, which gradviz
# does not emulate, the totals are a few bits away)
ULPS_ELSEWHERE = 0 if live_exact() else 4


@pytest.mark.parametrize("seed", range(4))
def test_losses_match_pytorch_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n, c = int(rng.integers(1, 3000)), int(rng.choice([2, 3, 10, 37]))
        x = (rng.standard_normal((n, c)) * 3).astype(np.float32)
        t = rng.integers(0, c, n)
        w = (rng.random(c) + 0.1).astype(np.float32)
        probs = rng.random((n, c)).astype(np.float32)
        probs /= probs.sum(1, keepdims=True)
        for r in ("mean", "sum"):
            cases = [
                (F.nll_loss(torch.tensor(x), torch.tensor(t), reduction=r),
                 OPS["nll_loss"].forward([x, t], {"reduction": r})),
                (F.nll_loss(torch.tensor(x), torch.tensor(t), weight=torch.tensor(w), reduction=r),
                 OPS["nll_loss"].forward([x, t, w], {"reduction": r})),
                (F.cross_entropy(torch.tensor(x), torch.tensor(t), reduction=r),
                 OPS["cross_entropy"].forward([x, t], {"reduction": r}))]
            if n * c <= 32768:     # (past that PyTorch's threads share the sum)
                cases.append((F.cross_entropy(torch.tensor(x), torch.tensor(probs), reduction=r),
                              OPS["cross_entropy"].forward([x, probs], {"reduction": r})))
            for want, got in cases:
                bits = abs(int(np.float32(got).view(np.int32)) -
                           int(np.float32(want.item()).view(np.int32)))
                assert bits <= ULPS_ELSEWHERE, (n, c, r)


@pytest.mark.parametrize("seed", range(3))
def test_spatial_targets_match_pytorch_bit_for_bit(seed):
    """(N, C, d1, ...) logits, a class index per position: nll_loss2d's
    cascade over the positions in (n, d1, ...) order, as over rows."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        shape = tuple(int(k) for k in rng.integers(1, 20, int(rng.integers(1, 4))))
        n, c = int(rng.integers(1, 5)), int(rng.choice([2, 3, 7]))
        x = (rng.standard_normal((n, c) + shape) * 3).astype(np.float32)
        t = rng.integers(0, c, (n,) + shape)
        w = (rng.random(c) + 0.1).astype(np.float32)
        for r in ("mean", "sum"):
            p = {"reduction": r, "ignore_index": 1}
            cases = [
                (F.nll_loss(torch.tensor(x), torch.tensor(t), weight=torch.tensor(w), reduction=r),
                 OPS["nll_loss"].forward([x, t, w], {"reduction": r})),
                (F.nll_loss(torch.tensor(x), torch.tensor(t), reduction=r, ignore_index=1),
                 OPS["nll_loss"].forward([x, t], p)),
                (F.cross_entropy(torch.tensor(x), torch.tensor(t), reduction=r),
                 OPS["cross_entropy"].forward([x, t], {"reduction": r}))]
            for want, got in cases:
                assert np.float32(got).view(np.int32) == np.float32(want.item()).view(np.int32), \
                    (x.shape, r)
