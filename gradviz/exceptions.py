"""Python's exceptions in a program: try/except/else/finally and raise.

Every error a program can meet is a GradvizError whose kind is the class
Python or PyTorch raises (RuntimeError for the classic autograd errors,
TypeError, IndexError, ...). A program catches it by that class or by one
of its bases, with Python's hierarchy below; the value bound by `as e`
prints PyTorch's message. gradviz's own limits (LimitError: time, memory,
sizes) are not Python exceptions and no `except` catches them, so that a
program cannot run past them.
"""
from __future__ import annotations

from .errors import TYPE, GradvizError
from .pytypes import PyType, flat_types

# Python's exception classes a program can name, each with its base
_BASES = {
    "BaseException": None, "Exception": "BaseException",
    "ArithmeticError": "Exception", "ZeroDivisionError": "ArithmeticError",
    "OverflowError": "ArithmeticError", "AssertionError": "Exception",
    "AttributeError": "Exception", "ImportError": "Exception",
    "ModuleNotFoundError": "ImportError", "LookupError": "Exception",
    "IndexError": "LookupError", "KeyError": "LookupError", "NameError": "Exception",
    "UnboundLocalError": "NameError", "RuntimeError": "Exception",
    "NotImplementedError": "RuntimeError", "RecursionError": "RuntimeError",
    "TypeError": "Exception", "ValueError": "Exception", "StopIteration": "Exception",
    # (for warnings.warn's category)
    "Warning": "Exception", "UserWarning": "Warning", "DeprecationWarning": "Warning",
    "FutureWarning": "Warning", "RuntimeWarning": "Warning",
    # torch.linalg's error for a singular matrix (torch.linalg.LinAlgError)
    "_LinAlgError": "RuntimeError",
    # a frozen dataclass's field set (dataclasses.FrozenInstanceError)
    "FrozenInstanceError": "AttributeError",
}
# bare names, as in Python (torch's own only as torch.X, a module's as module.X)
EXCEPTION_TYPES = {name: PyType(name) for name in _BASES
                   if not name.startswith("_") and name != "FrozenInstanceError"}
# the values a KeyError made by the program shows by their repr (as Python)
_PLAIN = frozenset((str, int, float, bool, tuple))


class ExceptionValue:
    """An exception a program holds (`except RuntimeError as e`, or made by
    calling its class): str() is its message, as Python's."""

    __slots__ = ("kind", "message", "cause", "exc_args")

    def __init__(self, kind: str, message: str, cause=None, exc_args=None):
        self.kind, self.message = kind, message
        self.cause = cause          # its __cause__ (raise ... from cause)
        self.exc_args = exc_args    # its e.args, where not (message,) (see GradvizError)

    @property
    def args(self) -> tuple:
        """e.args: the arguments it was made with."""
        if self.exc_args is not None:
            return self.exc_args
        return (self.message,) if self.message else ()

    def __repr__(self) -> str:
        if self.kind == "KeyError" and self.message:
            return f"KeyError({self.message})"      # (its message is the key's repr)
        return f"{self.kind}({self.message!r})" if self.message else f"{self.kind}()"


def catchable(exc: GradvizError) -> bool:
    return exc.kind in _BASES or exc.value is not None


def is_exception_type(t) -> bool:
    """Whether t is one of Python's exception classes (a base a program's
    exception class can name)."""
    return t.__class__ is PyType and t.name in _BASES


def program_exception(v) -> bool:
    """Whether v is one of the program's exception classes (class
    E(ValueError)) or an instance of one."""
    kind = v.__class__.__name__
    return (kind == "UserClass" and v.kind == "exception" or
            kind == "Instance" and v.cls.kind == "exception")


def ancestors(kind: str) -> list[str]:
    out = []
    while kind is not None:
        out.append(kind)
        kind = _BASES.get(kind)
    return out


def catches(spec, exc: GradvizError) -> bool:
    """Whether `except spec` catches exc (spec a class or a tuple of them):
    one of the classes of the exception's chain (a program's exception's:
    its class, the program's classes above it, then Python's)."""
    line = exc.value.cls.chain() if exc.value is not None else \
        [PyType(kind) for kind in ancestors(exc.kind)]
    found = False
    for s in flat_types(spec):
        if not (is_exception_type(s) or program_exception(s)):
            raise GradvizError("catching classes that do not inherit from BaseException is not "
                               "allowed", kind=TYPE,
                               hint="name an exception class: except RuntimeError as e:")
        found = found or any(s is c or s == c for c in line)
    return found


def make(t: PyType, args: list) -> ExceptionValue:
    """RuntimeError("message"): an exception value, to raise."""
    if len(args) > 1:
        raise GradvizError(f"{t.name}() takes one message here", kind=TYPE,
                           hint=f'write raise {t.name}("what went wrong")')
    if t.name == "KeyError" and args and (args[0] is None or args[0].__class__ in _PLAIN):
        # (str(KeyError('w')) is "'w'", its args ('w',))
        return ExceptionValue(t.name, repr(args[0]), exc_args=(args[0],))
    return ExceptionValue(t.name, str(args[0]) if args else "")


def check_cause(v):
    """The cause of `raise exc from cause`: an exception, or None (one of
    Python's exception classes is made into one; a program's class is
    called by the caller); Python's TypeError for anything else."""
    if v is not None and v.__class__ is not ExceptionValue and \
            not is_exception_type(v) and not program_exception(v):
        raise GradvizError("exception causes must derive from BaseException", kind=TYPE,
                           hint="raise ValueError('...') from e, with e an exception (or None)")
    return ExceptionValue(v.name, "") if is_exception_type(v) else v


def to_error(v, current: GradvizError | None) -> GradvizError:
    """What `raise v` raises: an exception value, an exception class (made
    with no message), or (v None) the exception being handled again."""
    if v is None:
        if current is None:
            raise GradvizError("No active exception to reraise", kind="RuntimeError",
                               hint="a bare raise belongs in an except block")
        return current
    if v.__class__ is PyType and v.name in _BASES:
        v = ExceptionValue(v.name, "")
    if v.__class__ is not ExceptionValue:
        raise GradvizError("exceptions must derive from BaseException", kind=TYPE,
                           hint='raise an exception: raise ValueError("what went wrong")')
    error = GradvizError(v.message, kind=v.kind, hint="raised by the program's raise statement")
    error.exc_args = v.exc_args
    return error
