"""The language reaches only its own functions and tensor attributes; the
package runs no dynamic code; program text cannot break out of a DOT label
or inject markup into the SVG."""
from __future__ import annotations

import ast
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import gradviz
from gradviz.errors import ATTRIBUTE, NAME, GradvizError

PACKAGE = Path(gradviz.__file__).parent

# ---- unknown names and attributes --------------------------------------------

NAMES = ["__class__", "__import__", "__builtins__", "eval", "exec", "compile", "open", "os",
         "sys", "globals", "locals", "vars",
         "breakpoint", "input", "help", "exit", "quit", "dir", "np", "numpy",
         "builtins", "importlib", "subprocess", "__file__", "__spec__",
         "__loader__", "rt", "self", "Tensor", "GLOBALS", "FUNCTIONS", "OPS"]


def test_id_shows_no_address_and_is_the_same_on_every_run():
    """id() is in the language (d2l compares ids), but its numbers are made
    up per run: no memory address of the process reaches the program."""
    src = "x = ones(2)\ny = [1, 2]\nprint(id(x), id(y), id(print), id(x) == id(x))\n"
    outs = []
    for _ in range(2):
        out = io.StringIO()
        rec = gradviz.run_source(src, stdout=out)
        outs.append(out.getvalue())
    assert outs[0] == outs[1] and outs[0].endswith(" True\n")
    shown = {int(v) for v in outs[0].split()[:3]}
    assert len(shown) == 3 and not shown & {id(rec.nodes[0].value), id(print)}


def test_the_programs_name_is_only_a_string():
    # (a script's `if __name__ == '__main__':`; nothing of Python behind it)
    out = io.StringIO()
    gradviz.run_source("print(__name__, type(__name__))\n", stdout=out)
    assert out.getvalue() == "__main__ <class 'str'>\n"


@pytest.mark.parametrize("src", [
    "getattr(getattr(torch.ones(1), '__class__'), '__dict__')", "getattr(torch, '__dict__')",
    "getattr(len, '__self__')", "setattr(torch.ones(1), '__class__', 1)",
    "getattr(getattr, '__globals__')", "class A:\n    pass\ngetattr(A(), '__dict__')"])
def test_getattr_and_setattr_reach_only_the_languages_attributes(src):
    """getattr/setattr go through the language's attribute rules (obj.name
    written out): no Python attribute of the objects behind the values."""
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src + "\n", stdout=io.StringIO())
    assert info.value.kind in ("AttributeError", "TypeError"), info.value.message


@pytest.mark.parametrize("name", NAMES)
def test_python_names_are_unknown(name):
    for src in (f"x = {name}", f"x = {name}('1 + 1')", f"print({name})"):
        with pytest.raises(GradvizError) as info:
            gradviz.run_source(src, stdout=io.StringIO())
        err = info.value
        assert err.kind == NAME, (src, err.kind, err.message)
        assert f"name '{name}' is not defined" in err.message
        assert err.span is not None and err.span.line == 1


ATTRIBUTES = [
    "x.__dict__", "x.__init__", "x.__reduce__", "x.shape.__len__", "x.backward.__self__",
    "x.sum.__call__", "().__class__.__bases__", "[1].__iter__", "[1].append.__self__",
    "'abc'.encode", "'abc'.maketrans", "(1).__add__", "[1].sort.__func__", "'abc'.upper.__self__",
    "'abc'.join.__globals__", "(1.5).fromhex", "(1).to_bytes", "None.__doc__", "print.__self__", "print.__module__",
    "print.impl", "print.name", "torch.__builtins__", "torch.__dict__", "torch.members",
    "torch.nn.functional.__globals__", "F.__dict__", "x.data.__array__",
    "x.detach().numpy().array", "x.detach().numpy().__reduce__", "x.shape.__getitem__",
    "x.grad_fn.__init__", "x.grad_fn.node", "x.grad_fn.edges", "x.grad_fn.tape_nodes",
    "x.grad_fn.next_functions[0][0].node", "x.item.__func__", "x.T.__dict__", "x.rt", "x.op",
    "x.args", "x.meta", "x.tape", "type(x).__dict__", "type(x).__subclasses__", "type(x).name",
    "torch.Tensor.__init__", "torch.Size.__bases__", "type(type).__call__",
    "(t for t in [1]).__next__", "(t for t in [1])._items", "reversed([1]).__setstate__",
    "x.__class__.__dict__", "x.__class__.__subclasses__", "x.__class__.__init__",
    "[].__class__.__bases__", "x.grad_fn.__class__.__call__", "torch.nn.__class__.__dict__",
]


def test_dunder_class_is_the_languages_type():
    """v.__class__ is type(v) (d2l prints layer.__class__.__name__): the
    language's type object, whose own attributes stay the language's."""
    out = io.StringIO()
    gradviz.run_source(
        "x = ones(2, requires_grad=True) * 2\n"
        "vs = [x, x.data, x.grad_fn, x.shape, x.dtype, [], True, torch.nn, no_grad(),\n"
        "      ones(2).max(0), x.tolist(), nn.Linear(1, 1), 3, 'a', None, print]\n"
        "print(all(v.__class__ is type(v) for v in vs), getattr(x, '__class__') is type(x))\n"
        "print(nn.Linear(1, 1).__class__.__name__, x.__class__, x.grad_fn.__class__)\n",
        stdout=out)
    assert out.getvalue() == "True True\nLinear <class 'torch.Tensor'> <class 'MulBackward0'>\n"


@pytest.mark.parametrize("expr", ATTRIBUTES)
def test_python_attributes_are_unknown(expr):
    src = f"x = ones(2, requires_grad=True) * 2\ny = {expr}\n"
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    err = info.value
    assert err.kind == ATTRIBUTE, (expr, err.kind, err.message)
    assert "has no attribute" in err.message
    assert err.span is not None and err.span.line == 2


def test_keyword_names_do_not_reach_python():
    for src in ("x = ones(2, rt=1)", "x = tensor([1.0], self=2)", "x = ones(2, __class__=1)",
                "x = print(1, file=None)", "x = ones(2).sum(out=None)"):
        with pytest.raises(GradvizError) as info:
            gradviz.run_source(src, stdout=io.StringIO())
        assert info.value.kind == "TypeError", (src, info.value.message)


def test_imports_other_than_torch_are_refused():
    """Imports read the language's own module tree (torch, torch.nn,
    torch.nn.functional, torch.autograd), never Python's."""
    for src in ("import os", "import sys", "from os import system", "import torch.os",
                "import numpy.ctypeslib", "from numpy import load", "import builtins", "from torch import __dict__",
                "from torch.nn import __class__", "import torch.nn.functional.__globals__",
                "from torch import members", "import torch.tensor", "from builtins import eval"):
        with pytest.raises(GradvizError) as info:
            gradviz.run_source(src, stdout=io.StringIO())
        assert info.value.kind in ("ModuleNotFoundError", "ImportError"), src
        assert "No module named" in info.value.message or "cannot import" in info.value.message


# ---- the package runs no dynamic code ---------------------------------------------

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle",
                     "importlib", "code", "codeop", "runpy"}
# reading which packages are installed, or their version, runs none of their code
ALLOWED_FROM = {"importlib.util": {"find_spec"}, "importlib.metadata": {"version"}}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    where = path.relative_to(PACKAGE.parent)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
                found.append(f"{where}:{node.lineno}: {f.id}()")
            elif isinstance(f, ast.Attribute) and f.attr in ("import_module", "__import__",
                                                               "exec_module", "load_module"):
                found.append(f"{where}:{node.lineno}: .{f.attr}()")
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                    f.value.id == "builtins":
                found.append(f"{where}:{node.lineno}: builtins.{f.attr}()")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN_MODULES | {"builtins"}:
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            names = {a.name for a in node.names}
            if mod in ALLOWED_FROM and names <= ALLOWED_FROM[mod]:
                continue
            if mod.split(".")[0] in FORBIDDEN_MODULES | {"builtins"}:
                found.append(f"{where}:{node.lineno}: from {mod} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            found.append(f"{where}:{node.lineno}: {node.id}")
    return sorted(found, key=lambda p: int(p.split(":")[1]))


def test_no_dynamic_code_in_the_package():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    problems = [p for f in files for p in _problems(f)]
    assert problems == [], "\n".join(problems)


def test_the_scanner_finds_what_it_looks_for(tmp_path, monkeypatch):
    bad = PACKAGE / "_scan_probe_does_not_exist.py"
    assert not bad.exists()
    probe = tmp_path / "probe.py"
    probe.write_text("import pickle\nfrom importlib import import_module\nexec('1')\n"
                     "x = __builtins__\ny = __import__('os')\nimport importlib\n"
                     "importlib.import_module('os')\n# eval(1) in a comment is fine\n"
                     "s = 'exec(1) in a string is fine'\n")
    monkeypatch.setattr(f"{__name__}.PACKAGE", tmp_path)
    found = _problems(probe)
    assert [p.split(": ", 1)[1] for p in found] == [
        "import pickle", "from importlib import import_module", "exec()", "__builtins__",
        "__import__()", "import importlib", ".import_module()"]


# ---- labels in DOT and SVG ------------------------------------------------------

# short, so that node headers (which cut long program text) show all of it
NASTIES = ['"];evil[label=pwn];x->evil;', "</text><script>evil</script>",
           '{<b>|evil&amp;}\\l\\"', "evil\n]; evil2 [shape=box"]


def _programs(text: str) -> list[str]:
    lit = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return [
        # a string inside the expression that made a tensor: its text is the label
        f"x = tensor([1.0, 2.0], requires_grad=True)\ny = x * len({lit})\n"
        f"z = y.sum()\nz.backward()\n",
        # the failing statement, and its message quoting the string, are drawn too
        # (a dim that is a string is refused in PyTorch's words, which do not
        # quote it; a missing attribute's name is quoted)
        f"x = tensor([1.0, 2.0], requires_grad=True)\ny = getattr(x, {lit})\n",
        # names may be any identifier; expressions may run over several lines
        f"x\u00e9 = ones(2, requires_grad=True)\n\u00e9t\u00e9 = (x\u00e9 * len({lit}) *\n 2)\n"
        f"s = \u00e9t\u00e9.sum()\ns.backward()\n",
    ]


CASES = [(n, i) for n in range(len(NASTIES)) for i in range(3)]


def _record(src: str):
    try:
        return gradviz.run_source(src, stdout=io.StringIO())
    except GradvizError as exc:
        assert exc.record is not None, exc.message
        return exc.record


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _dot_outside_strings(dot: str) -> str:
    return _QUOTED.sub('""', dot)


@pytest.mark.parametrize("nasty, index", CASES)
def test_program_text_stays_inside_dot_labels(nasty, index):
    dot_mod = pytest.importorskip("gradviz.render.dot")
    text = NASTIES[nasty]
    nasty = _record(_programs(text)[index])
    safe = _record(_programs("a" * len(text))[index])
    dot = dot_mod.to_dot(nasty)
    assert "evil" in dot                                 # the text is there ...
    outside = _dot_outside_strings(dot)
    assert "evil" not in outside                         # ... but only inside strings
    # the same structure as the program without the nasty text
    assert outside.count(";") == _dot_outside_strings(dot_mod.to_dot(safe)).count(";")
    assert outside.count("{") == outside.count("}")


ALLOWED_SVG = {"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text", "a",
               "defs", "linearGradient", "radialGradient", "stop", "desc", "metadata"}


@pytest.mark.parametrize("nasty, index", CASES)
def test_program_text_cannot_inject_svg_markup(nasty, index):
    svg_mod = pytest.importorskip("gradviz.render.svg")
    text = NASTIES[nasty]
    nasty = _record(_programs(text)[index])
    safe = _record(_programs("a" * len(text))[index])
    try:
        svg = svg_mod.to_svg(nasty)
    except GradvizError as exc:          # no layout engine on this machine
        pytest.skip(exc.message)
    root = ET.fromstring(svg)            # well-formed XML
    tags = [el.tag.rsplit("}", 1)[-1] for el in root.iter()]
    assert set(tags) <= ALLOWED_SVG, set(tags) - ALLOWED_SVG
    for el in root.iter():
        assert not any(k.lower().startswith("on") for k in el.attrib)
    text = "".join(root.itertext())
    assert "evil" in text                                # shown as text, not run as markup
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "evil" not in titles
    safe_root = ET.fromstring(svg_mod.to_svg(safe))
    count = [el.get("class") for el in root.iter() if el.get("class") in ("node", "edge")]
    safe_count = [el.get("class") for el in safe_root.iter()
                  if el.get("class") in ("node", "edge")]
    assert count == safe_count


@pytest.mark.parametrize("fmt", ["{0.__class__}", "{0[0]}", "{x.__dict__}", "{0.grad}",
                                 "{0:{0.__class__}}"])
def test_format_fields_do_not_reach_attributes_or_items(fmt):
    """str.format is the language's own: a field names an argument, never an
    attribute or an item of one (Python's would reach any attribute)."""
    src = f"x = ones(2, requires_grad=True)\ny = {fmt!r}.format(x, x=x)\n"
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert "not supported" in info.value.message and info.value.span.line == 2
