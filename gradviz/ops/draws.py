"""torch.binomial's node: its draws are made before it (from the generator,
binomial.py) and handed to it as p["draws"]; PyTorch records it with no
derivative (NotImplemented)."""
from __future__ import annotations

from .registry import SAME, defop, no_derivative

defop("binomial", forward=lambda xs, p: p["draws"], dtype_rule=SAME,
      **no_derivative("binomial"))
