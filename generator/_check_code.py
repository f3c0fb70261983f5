"""Type-checking a user's code against a regenerated connector, before anything is replaced.

`check_code` runs mypy (a subprocess of this interpreter, with the project's own mypy
configuration from the current folder) twice over the user's file or folder: once with
``connectory.connectors.<name>`` resolving to the connector the project has now, once to
the regenerated one in a scratch folder. Everything else resolves as installed. The errors
only the second run has are the ones the new spec causes; each is tied to the Python-API
change (`_api_diff`) its message or source span names, and so to the spec changes behind it.

How the regenerated package is put in place without touching anything: a scratch folder,
first on ``MYPYPATH``, holds a ``connectory`` package of symbolic links to every part of the
installed one, whose ``connectors`` folder links every installed connector but this one,
which links to the package under test. Both runs share a mypy cache, so the second only
re-checks what changed; the regenerated files get a modification time later than any of
the current ones, because mypy trusts a cached module whose file kept its size and mtime.

``--check-untyped-defs`` is added so calls inside unannotated functions are checked too:
errors both runs have cancel out, so it only adds what the change breaks.

Why messages are matched by hand: mypy names a generated method in few of its messages
(our methods are descriptors, so a bad call is reported against ``BoundOperation.__call__``),
so the span of source the error points at is read too: ``.name`` attribute accesses and
``name=`` keyword arguments there name the method, field and parameter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._api_diff import ApiChange
from ._errors import GeneratorError

__all__ = [
    "CodeCheck",
    "CodeCheckError",
    "NewError",
    "TypeCheckError",
    "check_code",
    "match_changes",
    "render_code_markdown",
    "render_code_text",
]

_QUOTED = re.compile(r'"([^"]+)"')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATTRIBUTE = re.compile(r"\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_KEYWORD = re.compile(r"[(,]\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
_ARGUMENT = re.compile(r"^Argument (\d+) ")


class CodeCheckError(GeneratorError):
    """mypy could not check the code at all (a crash, a bad configuration, no such path)."""


@attrs.frozen
class TypeCheckError:
    """One error mypy reported in the user's code."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    code: str | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.code or "", self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "code": self.code,
        }


@attrs.frozen
class NewError:
    """An error the regenerated connector causes, with the API changes it is tied to."""

    error: TypeCheckError
    changes: tuple[ApiChange, ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.error.to_json(), "api_changes": [c.to_json() for c in self.changes]}


@attrs.frozen
class CodeCheck:
    target: str
    errors_before: int
    errors_after: int
    new: tuple[NewError, ...]
    fixed: tuple[TypeCheckError, ...]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "errors_before": self.errors_before,
            "errors_after": self.errors_after,
            "new_errors": [e.to_json() for e in self.new],
            "fixed_errors": [e.to_json() for e in self.fixed],
        }


def check_code(
    target: Path,
    connector: str,
    old_package: Path,
    new_package: Path,
    changes: Sequence[ApiChange],
    work: Path,
    *,
    cache: Path | None = None,
) -> CodeCheck:
    """Type-check `target` against both packages of `connector`; the errors only the new
    one causes, tied to `changes`. `work` is a scratch folder the caller removes; `cache`
    a mypy cache folder to keep between checks (default: one in `work`, removed with it).
    """
    if not target.exists():
        raise CodeCheckError(f"{target}: no such file or folder")
    started = time.perf_counter()
    site = work / "mypy-path"
    slot = _mirror(site, connector)
    cache = cache or work / "mypy-cache"
    slot.symlink_to(old_package.resolve(), target_is_directory=True)
    before = _run_mypy(target, site, cache)
    _later_than(new_package, old_package)
    slot.unlink()
    slot.symlink_to(new_package.resolve(), target_is_directory=True)
    after = _run_mypy(target, site, cache)
    before_keys = {e.key for e in before}
    after_keys = {e.key for e in after}
    sources = _Sources()
    new = tuple(
        NewError(error, match_changes(error, changes, *sources.context(error)))
        for error in after
        if error.key not in before_keys
    )
    fixed = tuple(e for e in before if e.key not in after_keys)
    return CodeCheck(
        target=str(target),
        errors_before=len(before),
        errors_after=len(after),
        new=new,
        fixed=fixed,
        seconds=time.perf_counter() - started,
    )


def _mirror(site: Path, connector: str) -> Path:
    """A `connectory` package of links to the installed one; returns the free slot where
    `connectory.connectors.<connector>` goes."""
    import connectory

    installed = Path(connectory.__file__).resolve().parent
    mirror = site / "connectory"
    mirror.mkdir(parents=True)
    for entry in installed.iterdir():
        if entry.name not in ("connectors", "__pycache__"):
            mirror.joinpath(entry.name).symlink_to(entry.resolve(), entry.is_dir())
    connectors = mirror / "connectors"
    connectors.mkdir()
    for entry in (installed / "connectors").iterdir():
        if entry.name not in (connector, "__pycache__"):
            connectors.joinpath(entry.name).symlink_to(entry.resolve(), entry.is_dir())
    return connectors / connector


def _later_than(package: Path, reference: Path) -> None:
    """Give every file of `package` (ours, in the scratch folder) a modification time later
    than any in `reference`, so mypy's cache cannot take one for the other."""
    times = [p.stat().st_mtime for p in reference.rglob("*") if p.is_file()]
    stamp = max([*times, time.time()]) + 2
    for path in package.rglob("*"):
        if path.is_file():
            os.utime(path, (stamp, stamp))


def _run_mypy(target: Path, site: Path, cache: Path) -> list[TypeCheckError]:
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join(p for p in (str(site), env.get("MYPYPATH")) if p)
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--output",
        "json",
        "--cache-dir",
        str(cache),
        "--check-untyped-defs",
        "--no-error-summary",
        str(target),
    ]
    completed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command, capture_output=True, text=True, env=env, check=False
    )
    entries = [entry for entry in map(_json_line, completed.stdout.splitlines()) if entry]
    if completed.returncode not in (0, 1):
        # a blocking error (a syntax error, a bad configuration) stops mypy early
        shown = [f"{e.get('file')}:{e.get('line')}: {e.get('message')}" for e in entries]
        problem = "; ".join(shown) or (completed.stderr or completed.stdout).strip()
        raise CodeCheckError(f"mypy could not check {target}: {problem}")
    root = target.resolve()
    errors: list[TypeCheckError] = []
    for entry in entries:
        if entry.get("severity") != "error":
            continue
        file = str(entry.get("file") or "")
        resolved = Path(file).resolve()
        if resolved != root and not resolved.is_relative_to(root):
            continue  # in the connector or elsewhere: not the user's code
        line_number = int(entry.get("line") or 0)
        column = int(entry.get("column") or 0)
        errors.append(
            TypeCheckError(
                file=file,
                line=line_number,
                column=column,
                end_line=int(entry.get("end_line") or line_number),
                end_column=int(entry.get("end_column") or -1),
                message=str(entry.get("message") or ""),
                code=entry.get("code"),
            )
        )
    return errors


def _json_line(line: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) else None


class _Sources:
    """The user's source lines, read once per file."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def context(self, error: TypeCheckError) -> tuple[str, str]:
        """The source text the error points at, and the whole lines around it."""
        if error.file not in self._lines:
            try:
                text = Path(error.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._lines[error.file] = text.splitlines()
        lines = self._lines[error.file]
        if not 1 <= error.line <= len(lines):
            return "", ""
        last = min(max(error.end_line, error.line), len(lines))
        chunk = lines[error.line - 1 : last]
        whole = "\n".join(chunk)
        if error.end_column >= 0 and last == error.end_line:
            chunk[-1] = chunk[-1][: error.end_column]
        chunk[0] = chunk[0][max(error.column, 0) :]
        return "\n".join(chunk), whole


def match_changes(
    error: TypeCheckError, changes: Iterable[ApiChange], span: str, line: str = ""
) -> tuple[ApiChange, ...]:
    """The API changes `error` is about: those whose member (method, field, group) its
    message names, or else its source span, or else its line (an argument's error points
    at the argument, not at the call); the best-named ones, with the parameter or the
    class named too."""
    quoted = {name for text in _QUOTED.findall(error.message) for name in _IDENTIFIER.findall(text)}
    attributes = set(_ATTRIBUTE.findall(span))
    around = set(_ATTRIBUTE.findall(line))
    keywords = set(_KEYWORD.findall(span)) | set(_KEYWORD.findall(line))
    argument = _ARGUMENT.match(error.message)
    position = int(argument.group(1)) if argument else None
    scored: list[tuple[int, ApiChange]] = []
    for change in changes:
        members = {change.member, f"{change.member}_sync"}
        if members & quoted:
            score = 4
        elif members & attributes:
            score = 2
        elif members & around:
            score = 1
        else:
            continue
        if change.owner and change.owner in quoted:
            score += 1
        if change.parameter is not None:
            if change.parameter in quoted or change.parameter in keywords:
                score += 4
            elif position is not None and change.position == position:
                score += 3
        scored.append((score, change))
    if not scored:
        return ()
    best = max(score for score, _ in scored)
    return tuple(change for score, change in scored if score == best)


# -- rendering ----------------------------------------------------------------------------


def _error_line(error: TypeCheckError) -> str:
    code = f"  [{error.code}]" if error.code else ""
    return f"{error.where}: {error.message}{code}"


def render_code_text(check: CodeCheck) -> str:
    lines = [
        f"Your code ({check.target}) against the regenerated connector",
        "=" * 60,
        f"mypy: {len(check.new)} new errors ({check.errors_before} before, "
        f"{check.errors_after} after; {len(check.fixed)} fixed by the change).",
    ]
    for new in check.new:
        lines += ["", f"- {_error_line(new.error)}"]
        if not new.changes:
            lines.append("    not traced to a change of the connector's Python API")
        for change in new.changes:
            lines.append(f"    Python API: {change.kind}: {change.message}")
            for cause in change.causes:
                direction = f" [{cause.direction}]" if cause.direction else ""
                lines.append(
                    f"      spec: {cause.kind}{direction}: {cause.message} "
                    f"(at {cause.pointer}, {cause.pointer_in})"
                )
    return "\n".join(lines) + "\n"


def render_code_markdown(check: CodeCheck) -> str:
    lines = [
        "## Your code against the regenerated connector",
        "",
        f"mypy on `{check.target}`: {len(check.new)} new errors ({check.errors_before} "
        f"before, {check.errors_after} after; {len(check.fixed)} fixed by the change).",
    ]
    if check.new:
        lines += ["", "| where | error | Python API change | spec change |", "|---|---|---|---|"]
        for new in check.new:
            api = "; ".join(f"{c.kind} `{c.path}`" for c in new.changes) or "-"
            spec = "; ".join(
                f"{cause.kind} at `{cause.pointer}`" for c in new.changes for cause in c.causes
            )
            message = _error_line(new.error).split(": ", 1)[1].replace("|", "\\|")
            lines.append(f"| `{new.error.where}` | {message} | {api} | {spec or '-'} |")
    return "\n".join(lines) + "\n"
