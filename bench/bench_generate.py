"""Generating a client for the GitHub spec: connectory against openapi-python-client.

Each generator runs as a child process on `../shared/specs/business/github.json`
(OpenAPI 3.0.3, 845 operations), alternating, for N rounds after one untimed warm-up run
each. A run's figures are the wall time and the child's own rusage from `os.wait4` (CPU
time and peak RSS, descendants such as ruff included). Reported: medians and the ratios
peer/ours. Variants of the peer: its default config, and a config file with
`literal_enums: true` (skip it with --no-literal).

After the rounds, the last outputs are inspected: connectory's coverage report, the
return type of `repos_list_for_org` in our `data.py`, the operations the peer warns about,
and what the peer's `_parse_response` for `GET /orgs/{org}/repos` returns.

Skips (exit 0) when `../shared/specs` is absent.

    python bench/bench_generate.py [--rounds 3] [--no-literal] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import json
import platform
import re
import shutil
import statistics
import tempfile
from pathlib import Path

from _peer import (
    OUR_NAME,
    PEER_VERSION,
    SPEC,
    ChildRun,
    emit,
    git_state,
    ours_argv,
    peer_argv,
    peer_package,
    run_child,
    skip_if_needed,
)
from _stats import loadavg, machine

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
# "WARNING parsing GET /orgs/{org}/repos within repos." and, for an endpoint it drops,
# "... within repos. Endpoint will not be generated."
WARNING_RE = re.compile(
    r"^WARNING parsing (\S+) (\S+) within \S+?\.( Endpoint will not be generated\.)?$",
    re.MULTILINE,
)
SCHEMA_ERROR_RE = re.compile(r"^Unable to (?:process|parse) schema (\S+):$", re.MULTILINE)
DOCUMENT_ERROR_RE = re.compile(r"^Unable to parse this part of your OpenAPI document", re.M)
HOOK_ERROR_RE = re.compile(r"^(\S+ failed)\n+(.*)$", re.MULTILINE)
HOOK_SKIPPED_RE = re.compile(r"^Skipping Integration\n+(.*)$", re.MULTILINE)


class Variant:
    """One generator command, with where it writes and its timed runs."""

    def __init__(self, name: str, argv: list[str], out_dir: Path, logs: Path) -> None:
        self.name = name
        self.argv = argv
        self.out_dir = out_dir
        self.stdout = logs / f"{name}.stdout"
        self.stderr = logs / f"{name}.stderr"
        self.runs: list[ChildRun] = []

    def run(self, cwd: Path) -> ChildRun:
        shutil.rmtree(self.out_dir, ignore_errors=True)  # each run starts from nothing
        return run_child(self.argv, self.stdout, self.stderr, cwd)

    def medians(self) -> dict[str, float]:
        return {
            "wall": statistics.median(r.wall_s for r in self.runs),
            "cpu": statistics.median(r.cpu_s for r in self.runs),
            "rss": statistics.median(r.max_rss_mb for r in self.runs),
        }

    def summary(self) -> dict[str, object]:
        medians = self.medians()
        return {
            "wall_s_median": round(medians["wall"], 2),
            "cpu_s_median": round(medians["cpu"], 2),
            "max_rss_mb_median": round(medians["rss"], 1),
            "wall_s_runs": [round(r.wall_s, 2) for r in self.runs],
            "max_rss_mb_runs": [round(r.max_rss_mb, 1) for r in self.runs],
            "exit_codes": sorted({r.returncode for r in self.runs}),
        }


def spec_operations(path: Path) -> int:
    spec = json.loads(path.read_text(encoding="utf-8"))
    return sum(1 for item in spec["paths"].values() for method in item if method in HTTP_METHODS)


def find_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def success_statuses(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """The 2xx codes a peer `_parse_response` branches on (`response.status_code == 200`)."""
    codes: list[int] = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Attribute)
            and node.left.attr == "status_code"
        ):
            for comparator in node.comparators:
                value = comparator.value if isinstance(comparator, ast.Constant) else None
                if isinstance(value, int) and 200 <= value < 300:
                    codes.append(value)
    return codes


def inspect_ours(out_dir: Path, report_path: Path) -> dict[str, object]:
    report = json.loads(report_path.read_text(encoding="utf-8"))
    degraded = report["operations_degraded"]
    tree = ast.parse((out_dir / "data.py").read_text(encoding="utf-8"))
    method = find_function(tree, "repos_list_for_org")
    returns = ast.unparse(method.returns) if method and method.returns else None
    return {
        "report": {
            "operations_total": report["operations_total"],
            "operations_degraded": len(degraded) if isinstance(degraded, list) else degraded,
            "degraded_share": report["degraded_share"],
            "models_generated": report.get("models_generated"),
            "enums_generated": report.get("enums_generated"),
        },
        "repos_list_for_org": {
            "returns": returns,
            "is_list_of_minimal_repository": returns == "list[m.MinimalRepository]",
        },
    }


def inspect_peer(out_dir: Path, stderr: Path, operations: int) -> dict[str, object]:
    log = stderr.read_text(encoding="utf-8", errors="replace")
    warnings = WARNING_RE.findall(log)
    warned = {(method, path) for method, path, _dropped in warnings}
    dropped = sorted({f"{method} {path}" for method, path, gone in warnings if gone})
    package = peer_package(out_dir)

    modules = sorted(p for p in (package / "api").glob("*/*.py") if p.name != "__init__.py")
    syntax_errors: list[str] = []
    no_success_branch = 0
    target: dict[str, object] = {"module": None}
    for module in modules:
        source = module.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            syntax_errors.append(str(module.relative_to(package)))
            continue
        parse = find_function(tree, "_parse_response")
        codes = success_statuses(parse) if parse else []
        no_success_branch += not codes
        if '"url": "/orgs/{org}/repos"' in source and '"method": "get"' in source:
            target = {
                "module": str(module.relative_to(package)),
                "parse_response_returns": ast.unparse(parse.returns)
                if parse and parse.returns
                else None,
                "success_statuses_parsed": codes,
                "typed_response": bool(codes),
            }
    return {
        "package": package.name,
        "warnings": {
            "warning_blocks": len(warnings),
            "operations_warned": len(warned),
            "share_of_spec_operations": round(len(warned) / operations, 3),
            "operations_not_generated": dropped,
            "schemas_dropped": len(set(SCHEMA_ERROR_RE.findall(log))),
            "other_document_errors": len(DOCUMENT_ERROR_RE.findall(log)),
            "post_hook_errors": [" ".join(m) for m in HOOK_ERROR_RE.findall(log)],
            "post_hooks_skipped": HOOK_SKIPPED_RE.findall(log),
        },
        "endpoint_modules": {
            "total": len(modules),
            "syntax_errors": syntax_errors,
            "without_2xx_branch_in_parse_response": no_success_branch,
        },
        "models_exported": len(_exported_models(package)),
        "get_orgs_org_repos": target,
    }


def _exported_models(package: Path) -> list[str]:
    tree = ast.parse((package / "models" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            return [str(v) for v in value]
    return []


def run(rounds: int, literal: bool, spec: Path, warm_up: bool = True) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        report = tmp / "r.json"
        ours = Variant("connectory", [], tmp / "ours", logs)
        ours.argv = ours_argv(ours.out_dir, report, spec)
        peer = Variant("peer_default", peer_argv(tmp / "peer", spec=spec), tmp / "peer", logs)
        variants = [ours, peer]
        if literal:
            config = tmp / "peer-literal.yaml"
            config.write_text("literal_enums: true\n", encoding="utf-8")
            out = tmp / "peer_literal"
            variants.append(Variant("peer_literal_enums", peer_argv(out, config, spec), out, logs))

        for variant in variants if warm_up else ():  # warm-up: bytecode and disk caches
            variant.run(tmp)
        for index in range(rounds):
            order = variants if index % 2 == 0 else variants[::-1]
            for variant in order:
                variant.runs.append(variant.run(tmp))

        failed = [r.returncode for r in ours.runs if r.returncode != 0]
        if failed:
            raise RuntimeError(f"connectory generate failed: {ours.stderr.read_text()[-2000:]}")
        operations = spec_operations(spec)
        summaries = {v.name: v.summary() for v in variants}
        ours_medians = ours.medians()
        ratios = {
            f"{key}_{variant.name}_over_ours": round(value / ours_medians[key], 2)
            for variant in variants[1:]
            for key, value in variant.medians().items()
        }
        return {
            "benchmark": "generate",
            "spec": str(spec.relative_to(SPEC.parents[2])),
            "spec_operations": operations,
            "rounds": rounds,
            "timings": summaries,
            "ratios": ratios,
            "connectory": inspect_ours(ours.out_dir / OUR_NAME, report),
            "peer": inspect_peer(peer.out_dir, peer.stderr, operations),
            "python": platform.python_version(),
            "peer_version": PEER_VERSION,
            "machine": machine(),
            "loadavg_end": loadavg(),
            "connectory_git": git_state(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-literal", action="store_true", help="skip the peer's literal_enums variant"
    )
    parser.add_argument("--spec", type=Path, default=SPEC, help="another spec than GitHub's")
    parser.add_argument("--smoke", action="store_true", help="the smallest spec, one round")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    skip_if_needed()
    if args.smoke:
        args.rounds = 1
        args.spec = min((SPEC.parent).glob("*.json"), key=lambda p: p.stat().st_size)
    emit(run(args.rounds, not args.no_literal, args.spec, warm_up=not args.smoke), args.json)


if __name__ == "__main__":
    main()
