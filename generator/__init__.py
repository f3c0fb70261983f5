"""The generator: vendor OpenAPI spec + connector.yaml -> typed connector package.

Pipeline: load (JSON/YAML, OpenAPI 3.0/3.1, Swagger 2.0 converted) -> resolve $refs ->
model (`Api`) -> render (jinja templates) -> format (ruff) -> write atomically. See
docs/generator.md.
"""

from ._definition import ConnectorDefinition, load_definition
from ._errors import DefinitionError, GeneratorError, SpecError
from ._generate import (
    GenerationResult,
    build_api,
    check,
    check_connector_types,
    definition_for_spec,
    find_definitions,
    generate,
    generate_spec,
    write_connector_types,
)
from ._model import Api
from ._report import GenerationReport

__all__ = [
    "Api",
    "ConnectorDefinition",
    "DefinitionError",
    "GenerationReport",
    "GenerationResult",
    "GeneratorError",
    "SpecError",
    "build_api",
    "check",
    "check_connector_types",
    "definition_for_spec",
    "find_definitions",
    "generate",
    "generate_spec",
    "load_definition",
    "write_connector_types",
]
