"""Check the wheels as a user gets them, in fresh virtual environments.

    python scripts/check_wheel.py                 # build every wheel, then check
    python scripts/check_wheel.py --wheels dist   # check wheels built before
    python scripts/check_wheel.py --json sizes.json

1. `pip install connectory` alone, without development tools: what it installs
   (packages and bytes on disk) and that `connectory.core` imports;
2. every connector distribution on top: each `connectory.connectors.<name>` imports,
   the factory finds all of them, and what they add on disk;
3. `connectory[generator]` in a second environment: `connectory demo` runs;
4. strict mypy on the README's Python examples and on `tests/typing/`, from a folder
   outside the checkout, against the wheel install and against this checkout's editable
   install (`.venv`), so the types reach a user whichever way they installed.

Exits non-zero, naming the step, on the first failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import build_wheels  # noqa: E402

_FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


class CheckFailed(Exception):
    pass


@dataclasses.dataclass
class Figures:
    runtime_packages: list[str] = dataclasses.field(default_factory=list)
    runtime_bytes: int = 0
    connectors: int = 0
    connectors_bytes: int = 0
    typed_examples: list[str] = dataclasses.field(default_factory=list)

    @property
    def runtime_dependencies(self) -> int:
        return len([p for p in self.runtime_packages if p != "connectory"])

    def summary(self) -> str:
        return (
            f"runtime-only: {self.runtime_bytes / 1e6:.1f} MB on disk, "
            f"{self.runtime_dependencies} dependencies ({', '.join(self.runtime_packages)}); "
            f"{self.connectors} connectors: {self.connectors_bytes / 1e6:.1f} MB more"
        )


def run(
    step: str, cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """Run a command; its output, or `CheckFailed` naming the step with the output."""
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env)
    took = time.monotonic() - started
    if done.returncode != 0:
        raise CheckFailed(f"{step}: exit {done.returncode}\n{done.stdout}\n{done.stderr}")
    print(f"  ok  {step} ({took:.1f} s)")
    return done.stdout


def site_packages(venv: Path) -> Path:
    (path,) = (venv / "lib").glob("python3*/site-packages")
    return path


def disk_bytes(path: Path) -> int:
    """Bytes the files under `path` take, as stored (rounded up to 4 KiB blocks)."""
    return sum(-(-f.stat().st_size // 4096) * 4096 for f in path.rglob("*") if f.is_file())


def installed(venv: Path) -> set[str]:
    out = run("pip list", [str(venv / "bin/python"), "-m", "pip", "list", "--format=json"])
    return {p["name"].lower() for p in json.loads(out)}


def new_venv(path: Path) -> Path:
    run(f"create {path.name}", [sys.executable, "-m", "venv", str(path)])
    return path / "bin" / "python"


def readme_examples(into: Path) -> list[Path]:
    """The README's ```python blocks, one file each: every one is a whole program."""
    files = []
    for i, block in enumerate(_FENCE.findall((ROOT / "README.md").read_text()), 1):
        path = into / f"readme_example_{i}.py"
        path.write_text(block)
        files.append(path)
    if not files:
        raise CheckFailed("README.md has no ```python examples to type-check")
    return files


def typing_targets(into: Path) -> list[Path]:
    files = readme_examples(into)
    for source in sorted((ROOT / "tests" / "typing").glob("*.py")):
        copy = into / f"typing_{source.name}"
        copy.write_text(source.read_text())
        files.append(copy)
    return files


def mypy(step: str, python: Path, files: list[Path], cwd: Path) -> None:
    run(
        step,
        [str(python), "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11"]
        + [f.name for f in files],
        cwd=cwd,
        env={**os.environ, "MYPYPATH": ""},
    )


def check(wheels: Path, work: Path) -> Figures:
    core = next(wheels.glob("connectory-*.whl"))
    connectors = sorted(wheels.glob("connectory_*.whl"))
    names = build_wheels.connector_names()
    if len(connectors) != len(names):
        raise CheckFailed(f"{len(connectors)} connector wheels for {len(names)} connectors")
    figures = Figures(connectors=len(connectors))

    print("runtime-only install")
    python = new_venv(work / "runtime")
    site = site_packages(work / "runtime")
    baseline, base_bytes = installed(work / "runtime"), disk_bytes(site)
    run("pip install connectory", [str(python), "-m", "pip", "install", "-q", str(core)])
    added = sorted(installed(work / "runtime") - baseline)
    figures.runtime_packages = added
    figures.runtime_bytes = disk_bytes(site) - base_bytes
    run("import connectory.core", [str(python), "-c", "import connectory.core"])
    for tool in ("jinja2", "ruff", "typer", "copier", "rich", "yaml"):
        if tool in added:
            raise CheckFailed(f"the runtime install pulled in {tool}")

    print(f"{len(connectors)} connector distributions")
    before = disk_bytes(site)
    run(
        "pip install every connector",
        [str(python), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(wheels)]
        + [str(w) for w in connectors],
    )
    figures.connectors_bytes = disk_bytes(site) - before
    probe = (
        "import importlib, sys\n"
        "from connectory.core import UniversalConnectorFactory\n"
        "names = sys.argv[1:]\n"
        "for name in names:\n"
        "    importlib.import_module(f'connectory.connectors.{name}').REGISTRATION\n"
        "missing = set(names) - set(UniversalConnectorFactory().available())\n"
        "assert not missing, f'the factory does not find {sorted(missing)}'\n"
    )
    run(f"import all {len(names)} connectors", [str(python), "-c", probe, *names], cwd=work)

    print("with the generator extra")
    tools = new_venv(work / "tools")
    run(
        "pip install connectory[generator] + connectors",
        [
            *(str(tools), "-m", "pip", "install", "-q", "--find-links", str(wheels)),
            *(f"{core}[generator]", *(str(w) for w in connectors)),
        ],
    )
    run("connectory demo", [str(work / "tools/bin/connectory"), "demo"], cwd=work)

    print("strict mypy on the README's examples and tests/typing, outside the checkout")
    outside = work / "user-project"
    outside.mkdir()
    files = typing_targets(outside)
    figures.typed_examples = [f.name for f in files]
    mypy("mypy --strict against the wheel install", tools, files, outside)
    editable = ROOT / ".venv" / "bin" / "python"
    if editable.exists():
        mypy("mypy --strict against the editable install", editable, files, outside)
    else:
        print("  --  no .venv here: the editable install is not checked")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, help="a folder of built wheels")
    parser.add_argument("--json", type=Path, help="write the measured figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="connectory-wheel-check-") as tmp:
        work = Path(tmp)
        wheels = args.wheels
        if wheels is None:
            wheels = work / "wheels"
            print("building wheels")
            build_wheels.main(["--out", str(wheels)])
        try:
            figures = check(wheels.resolve(), work)
        except CheckFailed as failure:
            print(f"FAILED {failure}", file=sys.stderr)
            return 1
    print(figures.summary())
    if args.json:
        args.json.write_text(json.dumps(dataclasses.asdict(figures), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
