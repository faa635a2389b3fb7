"""gradviz: make backpropagation visible.

    >>> import gradviz
    >>> r = gradviz.run_source("x = arange(4.0, requires_grad=True)\\n(x * x).sum().backward()")
    >>> r.variables["x"].grad  # DSL name -> NodeRecord; values and grads are numpy arrays
    array([0., 2., 4., 6.], dtype=float32)
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["run_source", "run_file", "GradvizError", "__version__"]


def run_source(text: str, filename: str = "<string>", stdout=None, limits=None, options=None):
    """Run a program; its print output goes to `stdout` (default sys.stdout).

    Returns the Record. A program error raises GradvizError whose `.record`
    is the record of the run so far. `options` (gradviz.tape.RunOptions)
    turns on forward mode or float64.
    """
    from .runner import run_source as _run
    return _run(text, filename=filename, stdout=stdout, limits=limits, options=options)


def run_file(path, stdout=None, limits=None, options=None):
    from .runner import run_file as _run
    return _run(path, stdout=stdout, limits=limits, options=options)


def load_ipython_extension(ipython) -> None:
    """``%load_ext gradviz``: adds the ``%%gradviz`` cell magic (IPython is
    imported only here, so gradviz itself never needs it)."""
    from .notebook import load_ipython_extension as _load
    _load(ipython)


def __getattr__(name):
    if name == "GradvizError":
        from .errors import GradvizError
        return GradvizError
    raise AttributeError(name)
