"""Record -> SVG: readable XML with the values in it, byte-stable, drawn with
no Graphviz installed, several times per process, and by the command line."""
from __future__ import annotations

import importlib.util
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradviz
from gradviz import cli
from gradviz.render import layout
from gradviz.render.svg import render_svg, to_svg

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SEEDS = ("seed_scalar", "seed_nonscalar", "seed_detach")

pytestmark = pytest.mark.skipif(not layout._embedded_installed(),
                                reason="the embedded Graphviz is not installed")

# what a reader must find in each seed's picture: names, values, grads
EXPECTED = {
    "seed_scalar": ["x = torch.arange(4.0)", "y (old) = 2 * torch.dot(x, x)", "y = x.sum()",
                    "value  [0., 1., 2., 3.]", "value  28.", "grad  [1., 1., 1., 1.]",
                    "[ 0.,  4.,  8., 12.] (backward #1, line 9)", "DotBackward0"],
    "seed_nonscalar": ["y = x * x", "value  [0., 1., 4., 9.]", "grad  [0., 2., 4., 6.]",
                       "seed [1., 1., 1., 1.]", "torch.ones(len(x))", "MulBackward0"],
    "seed_detach": ["u = y.detach()", "z = u * x", "value  [ 0.,  1.,  8., 27.]",
                    "grad  [0., 2., 4., 6.]", "✂ detach()", "gradient stops",
                    "grad #1: [0., 1., 4., 9.]"],
}


def record_of(name: str):
    return gradviz.run_source((SAMPLES / f"{name}.txt").read_text(), stdout=io.StringIO())


def svg_texts(svg: str) -> str:
    """All text drawn in an SVG, one line per <text>, spaces normalised."""
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return "\n".join((el.text or "").replace("\xa0", " ")
                     for el in root.iter("{http://www.w3.org/2000/svg}text"))


@pytest.mark.parametrize("name", SEEDS)
def test_seed_svg_is_xml_with_names_values_and_grads(name):
    svg = to_svg(record_of(name), engine="embedded")
    texts = svg_texts(svg)
    for expected in EXPECTED[name]:
        assert expected in texts, expected


def test_several_renders_in_one_process_are_identical():
    first = to_svg(record_of("seed_detach"), engine="embedded", legend=True)
    for name in SEEDS:                                  # other graphs in between
        to_svg(record_of(name), engine="embedded")
    again = render_svg(record_of("seed_detach"), engine="embedded", legend=True)
    assert again.svg == first
    assert again.dot == gradviz.run_source((SAMPLES / "seed_detach.txt").read_text(),
                                           stdout=io.StringIO()).to_dot(legend=True)


def test_hostile_title_cannot_inject_markup():
    nasty = 'a"b<c>&d{e}|f\\g]]><script>alert(1)</script>'
    svg = to_svg(record_of("seed_scalar"), engine="embedded", title=nasty, theme="print")
    root = ET.fromstring(svg.encode("utf-8"))
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    assert nasty in svg_texts(svg)


def _no_dot_env(tmp_path) -> dict:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty), PYTHONHASHSEED="12345")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_embedded_engine_without_dot_on_path_and_across_processes(tmp_path):
    """A fresh process with no 'dot' anywhere on PATH draws the same bytes
    as this process (another hash seed: nothing may depend on set order)."""
    env = _no_dot_env(tmp_path)
    out, dot_out = tmp_path / "d.svg", tmp_path / "d.dot"
    proc = subprocess.run([sys.executable, "-m", "gradviz", "run", "--no-tables",
                           str(SAMPLES / "seed_detach.txt"), "--svg", str(out),
                           "--dot", str(dot_out)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    record = record_of("seed_detach")
    assert dot_out.read_text() == record.to_dot()
    assert out.read_text() == to_svg(record, engine="embedded")
    forced = subprocess.run([sys.executable, "-m", "gradviz", "render",
                             str(SAMPLES / "seed_detach.txt"), "-o", str(tmp_path / "x.svg"),
                             "--engine", "system"],
                            env=env, capture_output=True, text=True, timeout=240)
    assert forced.returncode == 1
    assert "'dot' program, which is not on PATH" in forced.stderr
    assert "Traceback" not in forced.stderr and not (tmp_path / "x.svg").exists()


# ---- the command line ------------------------------------------------------------


def test_run_writes_svg_and_dot(tmp_path):
    svg, dot = tmp_path / "g.svg", tmp_path / "g.dot"
    result = CliRunner().invoke(cli.main, ["run", "--no-tables", str(SAMPLES / "seed_detach.txt"),
                                           "--svg", str(svg), "--dot", str(dot),
                                           "--engine", "embedded", "--theme", "print",
                                           "--rankdir", "LR", "--title", "T"])
    assert result.exit_code == 0, result.output
    assert "rankdir=LR" in dot.read_text()
    assert "u = y.detach()" in svg_texts(svg.read_text())


def test_help_says_what_each_direction_is():
    # (it said "top to bottom, ...", leaving LR, BT and RL to be guessed)
    text = " ".join(CliRunner().invoke(cli.main, ["run", "--help"]).output.split())
    for words in ("TB top to bottom", "LR left to right", "BT bottom to top", "RL right to left"):
        assert words in text


def test_svg_to_stdout_leaves_tables_out():
    result = CliRunner().invoke(cli.main, ["run", str(SAMPLES / "seed_scalar.txt"),
                                           "--svg", "-", "--engine", "embedded"])
    assert result.exit_code == 0, result.output
    prints, svg = result.stdout.split("<?xml", 1)
    assert prints.startswith("tensor([0., 1., 2., 3.])") and "┃" not in prints
    svg_texts("<?xml" + svg)
    two = CliRunner().invoke(cli.main, ["run", str(SAMPLES / "seed_scalar.txt"),
                                        "--svg", "-", "--dot", "-"])
    assert two.exit_code == 2 and "only one output" in two.output


def test_render_command(tmp_path):
    runner = CliRunner()
    for suffix, check in ((".svg", lambda t: svg_texts(t)), (".dot", lambda t: t.index("digraph")),
                          (".json", lambda t: t.index('"variables"'))):
        out = tmp_path / f"g{suffix}"
        result = runner.invoke(cli.main, ["render", str(SAMPLES / "seed_detach.txt"),
                                          "-o", str(out), "--engine", "embedded"])
        assert result.exit_code == 0, result.output
        check(out.read_text())
    piped = runner.invoke(cli.main, ["render", str(SAMPLES / "seed_detach.txt"),
                                     "-o", "-", "--format", "dot", "--show", "backward"])
    assert piped.exit_code == 0 and piped.stdout.startswith("digraph gradviz {")
    # `gradviz run --help` says `render FILE -o -` gives the picture alone
    picture = runner.invoke(cli.main, ["render", str(SAMPLES / "seed_detach.txt"), "-o", "-",
                                       "--engine", "embedded"])
    assert picture.exit_code == 0, picture.output
    assert svg_texts(picture.stdout)
    unknown = runner.invoke(cli.main, ["render", str(SAMPLES / "seed_detach.txt"),
                                       "-o", str(tmp_path / "g.png")])
    assert unknown.exit_code == 2 and "cannot tell the format" in unknown.output


def test_render_failing_program_highlights_the_error(tmp_path):
    out = tmp_path / "e.svg"
    result = CliRunner().invoke(cli.main, ["render",
                                           str(ROOT / "tests/conformance/error_twice.txt"),
                                           "-o", str(out), "--engine", "embedded"])
    assert result.exit_code == 1
    texts = svg_texts(out.read_text())
    assert "RuntimeError on line 5:" in texts and "used by the failing statement" in texts


def test_a_failed_backward_is_drawn_with_its_note(tmp_path):
    prog = tmp_path / "twice.txt"
    prog.write_text("x = tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum()\n"
                    "y.backward()\ntry:\n    y.backward()\nexcept RuntimeError:\n    pass\n")
    out = tmp_path / "t.svg"
    result = CliRunner().invoke(cli.main, ["render", str(prog), "-o", str(out),
                                           "--engine", "embedded"])
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    texts = svg_texts(svg)
    assert "backward() failed here (line 5): its graph was freed by" in texts
    assert 'class="node failed&#45;note"' in svg and 'class="node tensor failed root"' in svg


def test_fold_note_goes_to_stderr(tmp_path):
    prog = tmp_path / "chain.txt"
    prog.write_text("h = tensor(0.5, requires_grad=True)\n"
                    + "h = tanh(h * 1.01 + 0.1)\n" * 40 + "h.backward()\n")
    out = tmp_path / "c.dot"
    result = CliRunner().invoke(cli.main, ["render", str(prog), "-o", str(out),
                                           "--max-nodes", "30"])
    assert result.exit_code == 0
    assert "gradviz: note: folded 113 of 121 nodes into 1 summary node" in result.stderr
    assert "ops\\ folded" in out.read_text()


def test_cli_pass_draws_one_step_of_a_loop(tmp_path):
    prog = tmp_path / "loop.txt"
    prog.write_text("w = tensor([1.0, 2.0], requires_grad=True)\n"
                    "for i in range(4):\n"
                    "    loss = (w * (i + 1)).sum()\n"
                    "    loss.backward()\n")
    whole, last = tmp_path / "all.dot", tmp_path / "last.dot"
    for args in (["-o", str(whole)], ["-o", str(last), "--pass", "last"]):
        result = CliRunner().invoke(cli.main, ["render", str(prog), *args])
        assert result.exit_code == 0, result.output
    assert whole.read_text().count("seed") > last.read_text().count("seed") > 0
    assert "i=3" in last.read_text() and "i=2" not in last.read_text()
    for bad, words in (("0", "not a pass number"), ("5", "made 4 backward passes")):
        result = CliRunner().invoke(cli.main, ["render", str(prog), "-o", str(last),
                                               "--pass", bad])
        assert result.exit_code == 2 and words in result.stderr, result.stderr


# ---- the committed pictures ------------------------------------------------------


def _docs_script():
    spec = importlib.util.spec_from_file_location("make_docs_svgs",
                                                  ROOT / "scripts" / "make_docs_svgs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SEEDS)
def test_committed_docs_svgs_are_current(name):
    committed = ROOT / "docs" / f"{name}.svg"
    assert committed.exists(), "run python scripts/make_docs_svgs.py"
    current = committed.read_text(encoding="utf-8") == _docs_script().seed_svg(name)
    assert current, f"{committed.name} is stale: run python scripts/make_docs_svgs.py"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed")
def test_chromium_draws_the_detach_picture(tmp_path):
    png = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", "--window-size=1000,800",
                        f"--screenshot={png}", (ROOT / "docs" / "seed_detach.svg").as_uri()],
                       capture_output=True, timeout=120, check=False)
    assert png.exists()
    width, height, pixels = _decode_png(png.read_bytes())
    assert (width, height) == (1000, 800)
    inked = sum(1 for p in pixels if p[:3] != (255, 255, 255))
    colours = set(pixels)
    # boxes, text and coloured edges: a blank or error page has neither
    assert inked > 0.02 * len(pixels) and len(colours) > 50
    assert any(r > 150 and g < 120 and b < 80 for r, g, b, *_ in colours)   # gradient orange


def _decode_png(data: bytes) -> tuple[int, int, list]:
    """(width, height, pixels as tuples) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        filt = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    pixels = [tuple(row[i:i + channels]) for row in rows for i in range(0, stride, channels)]
    return width, height, pixels


def legend_size(svg: str) -> tuple[float, float]:
    """The width and height (points) of the legend's frame in an SVG."""
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    for g in root.iter(f"{ns}g"):
        if g.findtext(f"{ns}title") == "cluster_legend":
            frame = next(el for el in g if el.tag in (f"{ns}path", f"{ns}polygon"))
            numbers = frame.get("d") or frame.get("points")
            xy = [float(v) for v in numbers.replace("M", " ").replace("C", " ")
                  .replace(",", " ").split()]
            xs, ys = xy[0::2], xy[1::2]
            return max(xs) - min(xs), max(ys) - min(ys)
    raise AssertionError("no legend in the picture")


@pytest.mark.parametrize("rankdir", ["LR", "RL"])
def test_the_legend_is_compact_when_the_graph_runs_across(rankdir):
    # it was laid out as in TB, where its chain of edges runs down: across,
    # that chain made it one row 1,680 points wide and 193 high
    svg = to_svg(record_of("seed_detach"), engine="embedded", legend=True, rankdir=rankdir)
    width, height = legend_size(svg)
    assert width < 600 and width < height
    for key in ("parameter", "backward() root", "✂ detach", ".grad tensor", "shaded block"):
        assert key in svg_texts(svg)


def svg_width(path: Path) -> float:
    return float(ET.parse(path).getroot().get("width").removesuffix("pt"))


def test_a_jacobian_by_torch_func_fits_a_slide(tmp_path):
    # every op of jacrev's three passes side by side: 2,200 points wide
    program = tmp_path / "jac.txt"
    program.write_text("x = torch.tensor([1., 2., 3.], requires_grad=True)\n"
                       "from torch.func import jacrev\n"
                       "print(jacrev(torch.sin)(x))\n")
    widths = []
    for extra in ([], ["--expand-transforms"]):
        out = tmp_path / f"jac{len(extra)}.svg"
        result = CliRunner().invoke(cli.main, ["run", str(program), "--no-tables", "--engine",
                                               "embedded", "--svg", str(out), *extra])
        assert result.exit_code == 0, result.output
        widths.append(svg_width(out))
    assert widths[0] < 700 < 1500 < widths[1]
