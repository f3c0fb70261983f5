"""Errors the generator raises for bad input, each naming what is wrong and where."""

from __future__ import annotations


class GeneratorError(Exception):
    """A spec or connector definition the generator cannot use."""


class SpecError(GeneratorError):
    """The OpenAPI document is unreadable or malformed; the message names the location."""

    def __init__(self, message: str, *, source: str | None = None, pointer: str | None = None):
        where = source or "spec"
        if pointer is not None:
            where = f"{where}#{pointer}"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.pointer = pointer


class DefinitionError(GeneratorError):
    """A connector.yaml that is malformed or names what the spec does not have."""
