"""What type hints name: the typing module's generics (List, Optional, ...)
and `from __future__ import annotations`.

gradviz parses a hint and does not evaluate it (as Python does under
`from __future__ import annotations`): `def forward(self, x: Tensor) ->
Tensor:` and `lr: float = 0.1` run as without their hints. The names are
still importable, and usable where a program evaluates them itself (a type
alias `Batch = Tuple[Tensor, Tensor]`), as printable, subscriptable values."""
from __future__ import annotations

from .errors import TYPE, GradvizError

GENERICS = ("Any", "Callable", "Dict", "Iterable", "Iterator", "List", "Mapping", "Optional",
            "Sequence", "Set", "Tuple", "Type", "Union")


class TypeHint:
    """typing.List, typing.Tuple[int, int], ...: a name, and what it was
    subscripted with."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return "typing." + self.name

    def subscript(self, index: list) -> "TypeHint":
        """Hint[args], shown as Python shows it (typing.Tuple[int, float])."""
        if self.name == "Any" or "[" in self.name:
            raise GradvizError(f"{self!r} is not a generic class", kind=TYPE,
                               hint="subscript a generic once: List[int], Tuple[int, int]")
        return TypeHint(f"{self.name}[{', '.join(_shown(a) for a in index)}]")


def _shown(v) -> str:
    """An argument of a subscripted hint, as typing shows it."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_shown(a) for a in v) + "]"
    if v is None:
        return "NoneType"
    if v.__class__ is TypeHint:
        return repr(v)
    name = getattr(v, "type_name", None) or getattr(v, "name", None)
    return name if isinstance(name, str) else type(v).__name__


def typing_members() -> dict:
    return {**{name: TypeHint(name) for name in GENERICS}, "TYPE_CHECKING": False}


def future_members() -> dict:
    # (a _Feature object in Python; nothing reads it but the import)
    return {"annotations": TypeHint("annotations")}
