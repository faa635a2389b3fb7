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
        data = sys.stdin.buffer.read(max_bytes + 1)
        where = "<stdin>"
    else:
        where = str(path)
        if not os.path.exists(path):
            raise GradvizError(f"no such file: {where}", kind=FILE,
                               hint="check the path; use - to read the program from stdin")
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
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # utf-8-sig counts from after a byte order mark
        bad = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data[:bad].count(b"\n") + 1
        raise GradvizError(f"{where} is not UTF-8 text (bad byte at line {line})", kind=FILE,
                           hint="save the file as UTF-8") from None
    if not text.strip():
        raise GradvizError(f"{where} is empty", kind=FILE,
                           hint="write a program, e.g. x = arange(4.0, requires_grad=True)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    if not directory.is_dir():
        raise GradvizError(f"cannot write {path}: no such directory {directory}", kind=FILE)
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise GradvizError(f"cannot write {path}: {exc.strerror}", kind=FILE) from None
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
            raise GradvizError(f"cannot write {path}: {exc.strerror}", kind=FILE) from None
        raise
