"""File faults, each through the CLI: a clear message naming the file, exit 2;
outputs written atomically, so a failed run leaves the previous file intact."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gradviz import cli, files
from gradviz.errors import FILE, GradvizError

GOOD = "x = arange(4.0, requires_grad=True)\ny = (x * x).sum()\ny.backward()\nprint(x.grad)\n"
FAILING = "x = ones(2, 3)\ny = x @ x\n"


def run_cli(*args, input=None):
    return CliRunner().invoke(cli.main, ["run", "--no-tables", *map(str, args)], input=input)


def assert_file_error(result, name: str, words: str):
    assert result.exit_code == 2, (result.exit_code, result.output)
    err = result.stderr
    assert "Traceback" not in result.output
    assert name in err and words in err, err
    assert err.startswith("gradviz: error: ")
    assert "hint: " in err


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    assert_file_error(run_cli(path), "nope.txt", "no such file")


def test_a_misspelt_file_or_directory_gets_the_one_meant(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "detach.txt").write_text(GOOD)
    result = run_cli(tmp_path / "lessons" / "detatch.txt")
    assert_file_error(result, "detatch.txt", "no such file")
    assert f"hint: did you mean {tmp_path / 'lessons' / 'detach.txt'}?" in result.stderr
    result = run_cli(tmp_path / "lesons" / "detach.txt")
    assert f"hint: there is no directory {tmp_path / 'lesons'}: did you mean " \
        f"{tmp_path / 'lessons' / 'detach.txt'}?" in result.stderr


def test_directory(tmp_path):
    assert_file_error(run_cli(tmp_path), str(tmp_path), "is a directory")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_unreadable(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(GOOD)
    path.chmod(0)
    try:
        assert_file_error(run_cli(path), "secret.txt", "cannot read")
    finally:
        path.chmod(0o600)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("x = 1\nprint('caf\u00e9')\n".encode("latin-1"))
    assert_file_error(run_cli(path), "latin1.txt", "is not UTF-8 text (bad byte at line 2)")
    # after a byte order mark, the line is still the bad byte's
    path.write_bytes(b"\xef\xbb\xbf" + "x = 1\ny = 2\n\u00e9 = 3\n".encode("latin-1"))
    assert_file_error(run_cli(path), "latin1.txt", "is not UTF-8 text (bad byte at line 3)")


def test_binary(tmp_path):
    path = tmp_path / "prog.bin"
    path.write_bytes(bytes(range(256)) * 4)
    assert_file_error(run_cli(path), "prog.bin", "binary file")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named(tmp_path, encoding):
    # what Windows editors save as "Unicode": with or without a byte order mark
    path = tmp_path / "prog.txt"
    path.write_bytes("# \u4e2d\u6587\n".encode(encoding) + GOOD.encode(encoding))
    result = run_cli(path)
    assert_file_error(result, "prog.txt", "is UTF-16 text")
    assert "save the file as UTF-8" in result.stderr


def test_binary_with_many_nuls_is_not_utf16(tmp_path):
    path = tmp_path / "prog.bin"
    path.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(9) + bytes(range(256)) * 2 + bytes(64))
    assert_file_error(run_cli(path), "prog.bin", "binary file")


@pytest.mark.parametrize("text", ["", "\n\n   \n", "\ufeff"])
def test_empty(tmp_path, text):
    path = tmp_path / "empty.txt"
    path.write_text(text, encoding="utf-8")
    assert_file_error(run_cli(path), "empty.txt", "is empty")


def test_too_large(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text(GOOD * 10)
    assert_file_error(run_cli("--max-file-size", 100, path), "big.txt",
                      "larger than the limit of 100 bytes")
    assert "--max-file-size" in run_cli("--max-file-size", 100, path).stderr
    assert run_cli("--max-file-size", 10_000, path).exit_code == 0


def test_stdin_is_read():
    result = run_cli("-", input=GOOD)
    assert result.exit_code == 0
    assert result.stdout == "tensor([0., 2., 4., 6.])\n"


def test_a_program_typed_at_the_terminal_is_asked_for(monkeypatch, capsys):
    import io

    class Terminal(io.TextIOWrapper):
        def isatty(self):
            return True
    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(GOOD.encode())))
    assert files.read_program("-") == GOOD
    assert "end it with Ctrl-D" in capsys.readouterr().err
    assert run_cli("-", input=GOOD).stderr == ""            # (not from a pipe)


def test_utf8_bom_and_crlf_are_fine(tmp_path):
    path = tmp_path / "dos.txt"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    result = run_cli(path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "tensor([0., 2., 4., 6.])\n"


CODING_COMMENTS = [   # (the program's bytes, what it prints or None when Python refuses it)
    (b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\nprint(s, len(s))\n", "caf\u00e9 4\n"),
    (b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nprint('\x80')\n", "\u20ac\n"),
    (b"# coding=utf-8\nprint('\xc3\xa9')\n", "\u00e9\n"),
    (b"\xef\xbb\xbf# coding: utf-8\nprint(1)\n", "1\n"),
    # a coding comment after a line of code is a comment
    (b"print(1)\n# coding: latin-1\nprint('\xe9')\n", None),
    (b"# coding: no-such-codec\nprint(1)\n", None),
    (b"\xef\xbb\xbf# coding: latin-1\nprint(1)\n", None),
    (b"# coding: ascii\nprint('\xc3\xa9')\n", None),
]


@pytest.mark.parametrize("data, printed", CODING_COMMENTS, ids=range(len(CODING_COMMENTS)))
def test_a_coding_comment_is_read_as_python_reads_it(tmp_path, data, printed):
    try:
        compile(data, "p.txt", "exec")
        python_reads_it = True
    except SyntaxError:
        python_reads_it = False
    assert python_reads_it == (printed is not None)
    path = tmp_path / "p.txt"
    path.write_bytes(data)
    result = run_cli(path)
    if printed is None:
        assert_file_error(result, "p.txt", "")
    else:
        assert result.exit_code == 0, result.stderr
        assert result.stdout == printed


def test_a_notebook_is_named_with_how_to_get_its_code(tmp_path):
    notebook = {"cells": [{"cell_type": "code", "source": [GOOD], "metadata": {},
                           "outputs": [], "execution_count": None}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(notebook, indent=1))
    result = run_cli(path)
    assert_file_error(result, "lesson.ipynb", "is a Jupyter notebook (JSON), not a program")
    assert "jupyter nbconvert --to script" in result.stderr


def test_read_program_errors_are_file_kind(tmp_path):
    with pytest.raises(GradvizError) as info:
        files.read_program(tmp_path / "missing.txt")
    assert info.value.kind == FILE and info.value.exit_code == 2


# ---- outputs --------------------------------------------------------------

def test_output_into_missing_directory(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    result = run_cli(prog, "--json", tmp_path / "no" / "such" / "out.json")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "out.json" in result.stderr


# what a careless output path meets: the error comes before the run (a long
# run must not end in "cannot write"), so nothing is printed or written

def _refused_before_the_run(result, words: str, hint: str):
    assert_file_error(result, "", words)
    assert hint in result.stderr, result.stderr
    assert result.stdout == ""              # the program did not run


def test_output_paths_are_checked_before_the_run(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    missing = tmp_path / "no" / "out.svg"
    _refused_before_the_run(run_cli(prog, "--svg", missing),
                            f"cannot write {missing}: no such directory", "mkdir -p ")
    _refused_before_the_run(run_cli(prog, "--svg", tmp_path),
                            f"cannot write {tmp_path}: it is a directory",
                            f"e.g. {tmp_path / 'graph.svg'}")
    _refused_before_the_run(run_cli(prog, "--json", prog / "out.json"),
                            "is a file, not a directory", "give a path in a directory")


def test_two_outputs_or_the_program_on_one_path_are_refused(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    out = tmp_path / "out"
    _refused_before_the_run(run_cli(prog, "--json", out, "--svg", tmp_path / "." / "out"),
                            "would replace the output of --json", "give --svg a file name")
    assert not out.exists()
    _refused_before_the_run(run_cli(prog, "--json", prog), "would replace the program",
                            "give --json a file name")
    result = CliRunner().invoke(cli.main, ["export", "--torch", str(prog), "-o", str(prog)])
    assert_file_error(result, "p.txt", "-o ")
    assert prog.read_text() == GOOD                  # not overwritten


def test_a_directory_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    # (as root every directory is writable: os.access is what the check asks)
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    real = os.access
    monkeypatch.setattr(files.os, "access",
                        lambda path, mode: False if str(path) == str(tmp_path / "ro")
                        else real(path, mode))
    (tmp_path / "ro").mkdir()
    _refused_before_the_run(run_cli(prog, "--svg", tmp_path / "ro" / "g.svg"),
                            "is not writable", "a directory of yours")
    result = CliRunner().invoke(cli.main, ["explain", str(prog),
                                           "--svg-frames", str(tmp_path / "ro" / "frames")])
    assert_file_error(result, "frames", "is not writable")
    result = CliRunner().invoke(cli.main, ["explain", str(prog), "--svg-frames", str(prog)])
    assert_file_error(result, "p.txt", "that is a file, not a folder")


def test_a_pipe_or_a_link_given_as_output_is_written_into_not_replaced(tmp_path):
    """--svg /dev/stdout, a named pipe, a link: replacing such a path with a
    new file (as root, /dev/stdout itself) would break it."""
    import threading
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    target = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert run_cli(prog, "--json", link).exit_code == 0
    assert link.is_symlink() and json.loads(target.read_text())["error"] is None
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    assert run_cli(prog, "--json", fifo).exit_code == 0
    reader.join(timeout=30)
    assert fifo.is_fifo() and json.loads(got[0])["error"] is None
    # (two outputs into one device: both written, neither replaces the other)
    assert run_cli(prog, "--json", os.devnull, "--svg", os.devnull).exit_code == 0


def test_json_of_a_failing_run_is_written(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text(FAILING)
    out = tmp_path / "out.json"
    result = run_cli(prog, "--json", out)
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert "cannot be multiplied" in data["error"]["message"]
    assert data["error"]["line"] == 2


def test_failed_render_keeps_the_previous_output(tmp_path, monkeypatch):
    """Rendering that fails half-way must not touch the file already there."""
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    out = tmp_path / "out.json"
    assert run_cli(prog, "--json", out).exit_code == 0
    before = out.read_bytes()

    from gradviz.render import jsonout

    real = jsonout._to_dict

    def half_way(record, plain):
        real(record, plain)
        raise RuntimeError("renderer crashed half-way")
    monkeypatch.setattr(jsonout, "_to_dict", half_way)
    prog.write_text(GOOD.replace("x * x", "x * x * x"))
    result = run_cli(prog, "--json", out)
    assert result.exit_code == 3
    assert "internal error" in result.stderr and "Traceback" not in result.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "p.txt"]  # no temp file left


def test_write_atomic_never_leaves_half_a_file(tmp_path, monkeypatch):
    out = tmp_path / "graph.svg"
    files.write_atomic(out, "<svg>old</svg>")

    class Boom(Exception):
        pass

    real_fdopen = os.fdopen

    def failing_fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        real_write = f.write

        def write(data):
            real_write(data[: len(data) // 2])   # half of it reaches the disk
            f.flush()
            raise Boom()
        f.write = write
        return f
    monkeypatch.setattr(files.os, "fdopen", failing_fdopen)
    with pytest.raises(Boom):
        files.write_atomic(out, "<svg>" + "new" * 10_000 + "</svg>")
    assert out.read_text() == "<svg>old</svg>"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


def test_write_atomic_writes_a_list_of_pieces_one_after_the_other(tmp_path, monkeypatch):
    """A big JSON's pieces are written in turn, never joined, and a failure
    among them leaves the old file."""
    out = tmp_path / "r.json"
    files.write_atomic(out, ['{"a": ', "[1, 2]", "}"])
    assert out.read_text() == '{"a": [1, 2]}'
    real_fdopen = os.fdopen

    def failing_fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        real_writelines = f.writelines

        def writelines(parts):
            real_writelines(parts[:1])
            f.flush()
            raise OSError(28, "No space left on device")
        f.writelines = writelines
        return f
    monkeypatch.setattr(files.os, "fdopen", failing_fdopen)
    with pytest.raises(GradvizError, match="No space left"):
        files.write_atomic(out, ["{", '"b": 1', "}"])
    assert out.read_text() == '{"a": [1, 2]}'
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_killed_mid_write_keeps_the_previous_output(tmp_path):
    """A process killed while writing a big output leaves the old file whole."""
    out = tmp_path / "big.json"
    out.write_text('{"old": true}')
    script = (
        "import os, sys, gradviz.files as f\n"
        "real = os.fdopen\n"
        "def slow_fdopen(*a, **k):\n"
        "    fh = real(*a, **k)\n"
        "    w = fh.write\n"
        "    def write(data):\n"
        "        import time\n"
        "        for i in range(0, len(data), 1000):\n"
        "            w(data[i:i + 1000]); fh.flush(); time.sleep(0.001)\n"
        "            if i == 20000: print('writing', flush=True)\n"
        "    fh.write = write\n"
        "    return fh\n"
        "f.os.fdopen = slow_fdopen\n"
        "f.write_atomic(sys.argv[1], 'x' * 10_000_000)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(out)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait(timeout=30)
    assert out.read_text() == '{"old": true}'
    # what a kill leaves is a hidden temporary file, never a truncated big.json
    leftovers = [p for p in tmp_path.iterdir() if p.name != "big.json"]
    assert all(p.name.startswith(".big.json.") for p in leftovers)


def test_write_to_stdout(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text(GOOD)
    result = CliRunner().invoke(cli.main, ["run", "--no-tables", str(prog), "--json", "-"])
    assert result.exit_code == 0
    assert result.stdout.startswith("tensor([0., 2., 4., 6.])\n{")
    assert json.loads(result.stdout.split("\n", 1)[1])["error"] is None
