"""Errors raised by the catalog."""

from __future__ import annotations


class UnknownTypeError(KeyError):
    """A catalog look-up named a type that is not in the catalog."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown {self.kind} type {self.name!r}; known: {', '.join(self.known)}"
