"""The generator: vendor OpenAPI spec + connector.yaml -> typed connector package.

Pipeline: load (JSON/YAML, OpenAPI 3.0/3.1) -> resolve $refs -> model (`Api`) -> render
(jinja templates) -> format (ruff) -> write atomically. See docs/generator.md.
"""

from ._definition import ConnectorDefinition, load_definition
from ._errors import DefinitionError, GeneratorError, SpecError
from ._generate import (
    GenerationResult,
    build_api,
    check,
    definition_for_spec,
    find_definitions,
    generate,
    generate_spec,
    sync_entry_points,
)
from ._model import Api

__all__ = [
    "Api",
    "ConnectorDefinition",
    "DefinitionError",
    "GenerationResult",
    "GeneratorError",
    "SpecError",
    "build_api",
    "check",
    "definition_for_spec",
    "find_definitions",
    "generate",
    "generate_spec",
    "load_definition",
    "sync_entry_points",
]
