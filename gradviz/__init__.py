"""gradviz: make backpropagation visible.

    >>> import gradviz
    >>> r = gradviz.run_source("x = arange(4.0, requires_grad=True)\\n(x * x).sum().backward()")
    >>> r.variables  # DSL name -> node id
    {'x': 'n0'}
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["run_source", "run_file", "GradvizError", "__version__"]


def run_source(text: str, filename: str = "<string>", stdout=None, limits=None):
    """Run a program; its print output goes to `stdout` (default sys.stdout).

    Returns the Record. A program error raises GradvizError whose `.record`
    is the record of the run so far.
    """
    from .runner import run_source as _run
    return _run(text, filename=filename, stdout=stdout, limits=limits)


def run_file(path, stdout=None, limits=None):
    from .runner import run_file as _run
    return _run(path, stdout=stdout, limits=limits)


def __getattr__(name):
    if name == "GradvizError":
        from .errors import GradvizError
        return GradvizError
    raise AttributeError(name)
