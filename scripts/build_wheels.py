"""Build connectory's wheels: the core package and one distribution per connector.

    python scripts/build_wheels.py                  # every wheel, into dist/
    python scripts/build_wheels.py --only github,slack --out /tmp/wheels
    python scripts/build_wheels.py --no-core        # connectors only

`connectory` holds the runtime, the generator and the CLI, and an empty
`connectory.connectors` package; each generated connector is its own distribution
(`connectory-github`, ...) that installs into it and pins the core version it was
generated against. A user installs the connectors they call, not all of them.

Each connector is built from a staging folder (its package under `src/`, a pyproject
and a short README written here) by setuptools' PEP 517 backend, called in this process
so that a hundred builds take a minute rather than a hundred interpreter start-ups.
Wheels are written to a temporary folder and moved into `--out` only when every build
succeeded: a failed run leaves no half-written set.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "connectory-{dist}"
version = "{version}"
description = "Typed {display} connector for connectory, generated from the vendor's OpenAPI spec."
readme = "README.md"
requires-python = "{python}"
license = "{license}"
dependencies = ["connectory=={version}"]
classifiers = [
    "Programming Language :: Python :: 3",
    "Framework :: AsyncIO",
    "Typing :: Typed",
]

[tool.setuptools.packages.find]
where = ["src"]
include = ["connectory.connectors.{name}", "connectory.connectors.{name}.*"]

[tool.setuptools.package-data]
"*" = ["py.typed"]
"""

_README = """\
# connectory-{dist}

The {display} connector for connectory:
{operations} typed operations generated from {spec}, over connectory's core (auth,
token refresh, pagination, rate limits, retries).

```bash
pip install connectory-{dist}
```

```python
from connectory.connectors.{name} import {cls}
```
"""


def connector_names() -> list[str]:
    return sorted(
        p.name for p in GENERATED.iterdir() if p.is_dir() and (p / "__init__.py").is_file()
    )


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _project() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        "version": project["version"],
        "python": project["requires-python"],
        "license": project["license"],
    }


def stage_connector(name: str, into: Path, project: dict[str, str]) -> Path:
    """A buildable project for one connector, under `into`."""
    package = importlib.import_module(f"connectory.connectors.{name}")
    info, registration = package.INFO, package.REGISTRATION
    stage = into / name
    target = stage / "src" / "connectory" / "connectors" / name
    shutil.copytree(GENERATED / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    fields = {
        **project,
        "name": name,
        "dist": name.replace("_", "-"),
        "display": info.display_name,
        "operations": info.operations,
        "spec": f"the spec {info.spec_title!r} {info.spec_version}",
        "cls": registration.connector_class.__name__,
    }
    (stage / "pyproject.toml").write_text(_PYPROJECT.format(**fields))
    (stage / "README.md").write_text(_README.format(**fields))
    return stage


def build(project_dir: Path, out: Path) -> Path:
    """One wheel of the project in `project_dir`, written to `out`."""
    backend = importlib.import_module("setuptools.build_meta")  # PEP 517's entry point
    with _cwd(project_dir), contextlib.redirect_stdout(sys.stderr):
        name = backend.build_wheel(str(out))
    return out / str(name)


def build_core(out: Path) -> Path:
    """The core wheel, built from the repository by pip in a clean subprocess (it must
    not share setuptools' state with the connector builds). setuptools reuses `build/`
    between runs, so a module removed since would linger in the wheel: it starts empty."""
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    before = set(out.glob("connectory-*.whl"))
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--wheel-dir", str(out), str(ROOT)),
        ],
        check=True,
    )
    (wheel,) = set(out.glob("connectory-*.whl")) - before
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where wheels go")
    parser.add_argument("--only", help="comma-separated connector names (default: all)")
    parser.add_argument("--no-core", action="store_true", help="skip the core wheel")
    args = parser.parse_args(argv)

    names = connector_names()
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"no generated connector named {', '.join(unknown)}")
        names = wanted
    project = _project()
    with tempfile.TemporaryDirectory(prefix="connectory-wheels-") as tmp:
        built = Path(tmp) / "wheels"
        built.mkdir()
        wheels: list[Path] = []
        if not args.no_core:
            wheels.append(build_core(built))
        for name in names:
            wheels.append(build(stage_connector(name, Path(tmp) / "stage", project), built))
        args.out.mkdir(parents=True, exist_ok=True)
        for wheel in wheels:
            shutil.move(wheel, args.out / wheel.name)
    total = sum((args.out / w.name).stat().st_size for w in wheels)
    print(f"{len(wheels)} wheels, {total / 1e6:.1f} MB, in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
