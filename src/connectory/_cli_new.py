"""``connectory new``: scaffold a connector from a vendor's spec, then generate it.

It runs connectory's copier template (``templates/new-connector``, installed with the
package) through copier's Python API: the questions, their proposed defaults and checks are
the template's, so ``connectory new`` and a plain ``copier copy`` make the same folder. See
`connectory.generator._scaffold` and docs/scaffolding.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .cli import EXIT_BAD_INPUT, app, console, errors, fail, project_root


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Connector name: a lower-case Python identifier.")],
    spec: Annotated[
        str | None,
        typer.Option(help="The vendor's OpenAPI spec: a path or an http(s) URL (else asked)."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            help="Answer a question: key=value (repeatable), as with copier's --data.",
        ),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option("--defaults", help="Take the proposed answer for every question not given."),
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            help="Another copy of the template: a folder or a git repository"
            " (a tagged one makes `copier update` possible)."
        ),
    ] = None,
    generate: Annotated[
        bool, typer.Option("--generate/--no-generate", help="Generate the connector too.")
    ] = True,
) -> None:
    """Scaffold openapi_specs/NAME from a vendor's spec, then generate generated/NAME."""
    from connectory.generator._scaffold import ScaffoldError, parse_data, scaffold

    root = project_root()
    try:
        answers = parse_data(data or [])
        if spec is not None:
            answers["spec"] = spec
        if defaults and not answers.get("spec"):
            fail("--defaults needs the spec: give --spec PATH or --data spec=PATH", EXIT_BAD_INPUT)
        if not defaults and not sys.stdin.isatty():
            fail(
                "no terminal to ask the questions in: pass --defaults (and --data key=value"
                " for the answers that differ)",
                EXIT_BAD_INPUT,
            )
        result = scaffold(
            root,
            name,
            data=answers,
            defaults=defaults,
            template=template,
            generate_package=generate,
            quiet=True,
        )
    except ScaffoldError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    console.print(f"openapi_specs/{name}/: {', '.join(result.files)}", highlight=False)
    for note in result.notes:
        errors.print(f"note: {note}", highlight=False, markup=False)
    if result.package is not None:
        console.print(f"generated/{name}/: generated", highlight=False)
        _update_connector_types(root, name)
    console.print(
        f"next: python -m pytest openapi_specs/{name}   (the contract test)", highlight=False
    )


def _update_connector_types(root: Path, name: str) -> None:
    """In connectory's own tree, ConnectorType gains the new connector (as in `generate`)."""
    from connectory.generator import find_definitions, write_connector_types

    if (root / "core").is_dir() and write_connector_types(
        root, sorted(find_definitions(root / "openapi_specs"))
    ):
        errors.print(
            "core/_connector_types.py: ConnectorType updated; run `connectory generate"
            f" {name}` once more so the connector names its member"
        )
