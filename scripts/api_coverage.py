"""Which of PyTorch's public functions and Tensor attributes gradviz lacks.

    python scripts/api_coverage.py [--list]

Needs torch installed (it is only read, for its names). For each public
lower-case callable of ``torch`` and each public lower-case attribute of
``torch.Tensor``, runs a one-line program that names it (``f = torch.NAME``
or ``f = x.NAME``) through gradviz and counts those that gradviz does not
know ("has no attribute"). Names of CUDA, quantization, sparse layouts,
compilers, autocast, distributed and other machinery outside what gradviz
draws are counted apart ("outside"), not as missing. Prints the counts; with
--list, the missing names too.
"""
from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradviz  # noqa: E402
from gradviz.errors import GradvizError  # noqa: E402

# machinery gradviz does not model (no tensors to draw, or other devices,
# storage layouts and compilers)
OUTSIDE = re.compile(
    r"(cuda|cudnn|miopen|mkldnn|fbgemm|quantiz|q_|qscheme|int_repr|dequantize|sparse|"
    r"coalesce|indices|_csr|_csc|_bsr|_bsc|crow|ccol|autocast|compile|jit|_ir|schema|"
    r"type_comment|fork|wait|dlpack|storage|pin_memory|share_memory|record_stream|"
    r"is_vulkan|is_xla|is_xpu|is_ipu|is_mps|is_mtia|is_maia|is_meta|is_mkldnn|xpu|ipu|mtia|"
    r"sym_|thread|num_threads|distributed|deterministic|warn_always|float32_matmul|"
    r"flush_denormal|multiprocessing|profiler|cudagraph|from_file|frombuffer|save|load|"
    r"data_ptr|module_load|nested|padded|classproperty|unify_type|merge_type|typename|"
    r"get_file_path|device_module|lobpcg|_copy$|segment_reduce|hash_tensor|fake_quant|"
    r"fused_|native_|while_loop|cond$|vmap|stft|istft|_window$|"
    # complex numbers: gradviz's tensors are real
    r"^complex$|^polar$|^view_as_(real|complex)$|^c(double|float|half)$|"
    # sparse-only products (their first argument a sparse matrix) and quantization's
    # parameter search
    r"^[dhs]smm$|^hspmm$|^saddmm$|^smm$|^spmm$|^sspaddmm$|qparams|"
    # first-class dimensions (functorch's Dim objects bound by x.index(positions, dims))
    r"^index$|"
    # bfloat16: numpy has no such dtype, gradviz's tensors are never of it (x.bfloat16()
    # says so, with the dtypes there are)
    r"^bfloat16$)")


def missing(names: list[str], program) -> list[str]:
    out = []
    for name in names:
        try:
            gradviz.run_source(program(name), stdout=io.StringIO())
        except GradvizError as exc:
            if "has no attribute" in exc.message:
                out.append(name)
        except Exception as exc:    # noqa: BLE001 - a bug: said, not counted as there
            raise SystemExit(f"gradviz failed inside on {program(name)!r}: {exc!r}") from exc
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="print the missing names")
    args = ap.parse_args(argv)
    import torch

    fns = sorted(n for n in dir(torch) if not n.startswith("_") and n.islower()
                 and callable(getattr(torch, n)))
    attrs = sorted(n for n in dir(torch.Tensor) if not n.startswith("_") and n.islower())
    for title, names, program in (
            ("torch functions", fns, lambda n: f"f = torch.{n}\n"),
            ("Tensor attributes", attrs, lambda n: f"x = torch.ones(2)\nf = x.{n}\n")):
        inside = [n for n in names if not OUTSIDE.search(n)]
        lacking = missing(inside, program)
        print(f"{title}: {len(names)} in torch, {len(names) - len(inside)} outside gradviz's "
              f"scope, {len(inside) - len(lacking)} of the other {len(inside)} in gradviz, "
              f"{len(lacking)} missing")
        if args.list and lacking:
            print("  " + " ".join(lacking))
    return 0


if __name__ == "__main__":
    sys.exit(main())
