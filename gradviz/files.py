"""Reading programs and writing outputs, with a clear error for every fault.

Outputs are written atomically: a temporary file in the same directory, then
os.replace, so a failed run never leaves a truncated or clobbered file.

Every ``gradviz run`` reads its program here, so reading uses os.path only:
pathlib and tempfile (with the shutil, random and urllib they load) cost
more start-up time than the run of a small program, and are imported by
write_atomic when an output is written.
"""
from __future__ import annotations

import os
import sys

from .errors import FILE, GradvizError

MAX_SOURCE_BYTES = 5_000_000    # --max-file-size


def read_program(path, max_bytes: int = MAX_SOURCE_BYTES) -> str:
    """The text of a program file ('-' for stdin)."""
    if str(path) == "-":
        if sys.stdin.isatty():     # (else a new user waits on a silent terminal)
            print("gradviz: reading the program from the terminal; end it with Ctrl-D",
                  file=sys.stderr)
        data = sys.stdin.buffer.read(max_bytes + 1)
        where = "<stdin>"
    else:
        where = str(path)
        if not os.path.exists(path):
            raise GradvizError(f"no such file: {where}", kind=FILE, hint=_missing_hint(where))
        if os.path.isdir(path):
            raise GradvizError(f"{where} is a directory, not a program file", kind=FILE,
                               hint="name a .txt file with the program in it")
        try:
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as exc:
            raise GradvizError(f"cannot read {where}: {exc.strerror}", kind=FILE,
                               hint="check the file's permissions") from None
    if len(data) > max_bytes:
        raise GradvizError(f"{where} is larger than the limit of {max_bytes:,} bytes",
                           kind=FILE, hint="raise the limit with --max-file-size BYTES")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data):
        # (Windows editors' "Unicode"): Python refuses such a file as well
        raise GradvizError(f"{where} is UTF-16 text; programs are read as UTF-8, as Python "
                           "reads them", kind=FILE,
                           hint="save the file as UTF-8 (in Notepad: File > Save as, "
                                "Encoding: UTF-8)")
    if b"\x00" in data:
        raise GradvizError(f"{where} looks like a binary file (it contains NUL bytes)",
                           kind=FILE, hint="a program is plain text, one statement per line")
    encoding = _declared_encoding(data, where)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        # utf-8-sig counts from after a byte order mark
        bad = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data[:bad].count(b"\n") + 1
        name = "UTF-8" if encoding == "utf-8-sig" else encoding
        raise GradvizError(f"{where} is not {name} text (bad byte at line {line})", kind=FILE,
                           hint="save the file as UTF-8") from None
    if text.lstrip().startswith("{") and '"nbformat"' in text and '"cells"' in text:
        # (Python would run the JSON as a dict, and stop at its first null)
        raise GradvizError(f"{where} is a Jupyter notebook (JSON), not a program", kind=FILE,
                           hint=f"save its code as a script first (jupyter nbconvert --to "
                                f"script {where}), or copy the code of its cells into a file")
    if not text.strip():
        raise GradvizError(f"{where} is empty", kind=FILE,
                           hint="write a program, e.g. x = arange(4.0, requires_grad=True)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _missing_hint(path: str) -> str:
    """The hint for a program file that is not there: the file (or the
    directory) of a name nearly so, as a typo makes, or where to look."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        close = _close_name(directory)
        if close is None:
            return f"there is no directory {directory}: check the path"
        meant = os.path.join(close, os.path.basename(path))
        return f"there is no directory {directory}: did you mean " + (
            meant if os.path.exists(meant) else f"the directory {close}") + "?"
    close = _close_name(path)
    if close:
        return f"did you mean {close}?"
    return "check the path; use - to read the program from stdin"


def _close_name(path: str) -> str | None:
    """The path of the entry of path's directory named nearly as path, or None."""
    import difflib

    directory, name = os.path.split(path)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return None
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.7)
    return os.path.join(directory, close[0]) if close else None


def _declared_encoding(data: bytes, where: str) -> str:
    """The encoding to read a program in: UTF-8, or the one a coding comment
    on its first or second line names (``# -*- coding: latin-1 -*-``, PEP
    263), as Python reads a file; the second line counts only after a first
    that is blank or a comment."""
    end = data.find(b"\n", data.find(b"\n") + 1)
    if b"coding" not in (data if end < 0 else data[:end]):
        return "utf-8-sig"          # (the common case, without a regex)
    import codecs
    import re

    bom = data.startswith(codecs.BOM_UTF8)
    first, _, rest = data[3 if bom else 0:].partition(b"\n")
    lines = [first]
    if re.match(rb"[ \t\f]*(#|\r?$)", first):
        lines.append(rest.partition(b"\n")[0])
    for line in lines:
        m = re.match(rb"[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", line)
        if m is None:
            continue
        name = m.group(1).decode("ascii", "replace")
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            raise GradvizError(f"{where}: unknown encoding: {name}", kind=FILE,
                               hint="name a known one in the coding comment "
                                    "(utf-8, latin-1, cp1252), or delete it") from None
        if codec == "utf-8":
            break
        if bom:                     # (Python's words)
            raise GradvizError(f"{where}: encoding problem: {name} with BOM", kind=FILE,
                               hint="delete the coding comment: the file is UTF-8")
        return codec
    return "utf-8-sig"


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 text without a byte order mark: NUL bytes that decode, as
    UTF-16, to text (a binary file's do not: it decodes to controls and
    unpaired surrogates)."""
    if len(data) < 4 or b"\x00" not in data:
        return False
    sample = data[:4096 - 4096 % 2] if len(data) > 4096 else data[:len(data) - len(data) % 2]
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        readable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
        if readable >= 0.95 * len(text):
            return True
    return False


def check_outputs(program: str, outputs: dict) -> None:
    """Before a run, the errors its outputs would end in after it (a long
    run should not end in "cannot write"): a path that is a directory, in a
    directory that does not exist or cannot be written, the program file
    itself, or given to two options (the second would replace the first).
    ``outputs``: each option as the user wrote it (--svg) and its path
    (None: not asked for; '-': stdout)."""
    seen = {} if program == "-" else {os.path.realpath(program): f"the program {program}"}
    for option, path in outputs.items():
        if path is None or str(path) == "-":
            continue
        problem = _output_problem(path, OUTPUT_EXAMPLES.get(option))
        if problem is not None:
            raise GradvizError(problem[0], kind=FILE, hint=problem[1])
        where = os.path.realpath(path)
        if os.path.exists(where) and not os.path.isfile(where):
            continue            # (--svg /dev/null --json /dev/null: written into, both)
        if where in seen:
            raise GradvizError(f"{option} {path} would replace {seen[where]}", kind=FILE,
                               hint=f"give {option} a file name of its own")
        seen[where] = f"the output of {option}"


def check_folder(path, option: str) -> None:
    """Before a run, as check_outputs: a folder for outputs, made if missing
    (--svg-frames), can be made and written into."""
    path = str(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise GradvizError(f"{option} {path}: that is a file, not a folder", kind=FILE,
                           hint="name a new folder (it is made), or an existing one")
    # the nearest folder that exists is where the rest are made
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise GradvizError(f"{option} {path}: {existing} is a file, not a folder",
                           kind=FILE, hint="give a path in a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise GradvizError(f"{option} {path}: the folder {existing} is not writable",
                           kind=FILE, hint="write into a folder of yours, e.g. a new one "
                                           "in the current directory")


# a file name for the hint of an output path that is a directory
OUTPUT_EXAMPLES = {"--svg": "graph.svg", "--dot": "graph.dot", "--json": "record.json",
                   "--html": "steps.html"}


def _output_problem(path, example: str | None = None) -> tuple[str, str] | None:
    """Why ``path`` cannot be written, and what to do, or None. ``example``:
    a file name for the hint when the path is a directory."""
    path = str(path)
    if os.path.isdir(path):
        return (f"cannot write {path}: it is a directory",
                f"name a file in it, e.g. {os.path.join(path, example)}" if example
                else "name a file in it")
    directory = os.path.dirname(path) or "."
    if not os.path.exists(directory):
        return (f"cannot write {path}: no such directory {directory}",
                f"make the directory first (mkdir -p {directory}), or write elsewhere")
    if not os.path.isdir(directory):
        return (f"cannot write {path}: {directory} is a file, not a directory",
                "give a path in a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        return (f"cannot write {path}: the directory {directory} is not writable",
                "write into a directory of yours, e.g. the current one")
    return None


def write_atomic(path, data: str | bytes | list[str]) -> None:
    """Write a file all at once, or not at all ('-' writes to stdout). A
    list of strings is written piece by piece (never joined: see
    jsonout.record_json_parts)."""
    if str(path) == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        elif isinstance(data, list):
            sys.stdout.writelines(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    import tempfile
    from pathlib import Path

    p = Path(path)
    directory = p.parent if str(p.parent) else Path(".")
    problem = _output_problem(path)
    if problem is not None:
        raise GradvizError(problem[0], kind=FILE, hint=problem[1])
    mode = "wb" if isinstance(data, bytes) else "w"
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        # a device, a pipe or a link (/dev/stdout, /dev/null, a named pipe) is
        # written into: replacing it would put a plain file in its place
        _write_into(path, data, mode)
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            if isinstance(data, list):
                f.writelines(data)
            else:
                f.write(data)
        # mkstemp makes the file private (0600); give it the mode a plain
        # open() would have (or the mode of the file it replaces)
        try:
            mode_bits = p.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode_bits = 0o666 & ~umask
        os.chmod(tmp, mode_bits)
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise


def _write_into(path, data: str | bytes | list[str], mode: str) -> None:
    """Write into an existing file that is not a plain one, in place."""
    try:
        with open(path, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
            if isinstance(data, list):
                f.writelines(data)
            else:
                f.write(data)
    except BrokenPipeError:
        raise                  # (a reader that went away: the CLI ends quietly)
    except OSError as exc:
        raise _write_error(path, exc) from None


def _write_error(path, exc: OSError) -> GradvizError:
    """The error of a write that failed (a full disk, a directory made
    read-only after the run started)."""
    return GradvizError(f"cannot write {path}: {exc.strerror}", kind=FILE,
                        hint="check the directory's permissions and the free space on its "
                             "disk, or write elsewhere")
