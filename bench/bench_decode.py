"""Decoding 1,000 items from bytes to typed objects: connectory, openapi-python-client, msgspec.

Pages (each a JSON array of 1,000 items, the same bytes for every decoder):

* GitHub ``SimpleUser``, ``MinimalRepository`` and ``Issue``: the spec's own example of
  each (``components/examples/*-items`` of `../shared/specs/business/github.json`),
  repeated with its ``id`` (and login, name, number) made unique per item;
* Stripe ``Customer``: a customer object as the API documents it (written here by hand:
  the spec has no examples), with unique ids, names and e-mails.

Decoders:

* connectory: what a generated operation does with the response bytes
  (`connectory.core.resources.decode_body`, lenient: msgspec against mirrors of the
  models when the data matches them, the lenient decoder otherwise) into
  ``list[Model]`` of the package ``connectory generate --spec`` makes from the whole
  spec; every page is checked to decode without a deviation;
* peer: openapi-python-client 0.29.1's generated ``Model.from_dict`` for each item of
  ``json.loads(data)`` (its default config for GitHub, ``literal_enums: true`` for Stripe,
  where the default crashes);
* JSON alone: ``orjson.loads(data)``, no types: the floor under any decoder that parses
  first and builds its objects after, connectory's included;
* msgspec: ``msgspec.json.decode(data, type=list[Struct])``, the Structs made from the
  same schemas here (`StructBuilder`: a required field is required, an optional one
  defaults to UNSET, nullable adds None, date-times are datetimes; enums are plain
  strings, and unions msgspec cannot tell apart are left as plain JSON). msgspec drops
  undeclared fields, which the other two keep.

Rounds alternate the decoders, in an order shuffled afresh each round (seeded): a rotating
order would put the same decoder right after the peer, whose thousands of short-lived
objects leave the allocator and caches cold for whoever comes next, in most rounds.
Each round decodes each page once.
Reported per page: the median microseconds per item over the rounds, min-max, and the
ratios peer/connectory and connectory/msgspec taken within each round (median).

    python bench/bench_decode.py [--rounds 15] [--items 1000] [--json out.json]

Skips (exit 0) when `../shared/specs` is absent.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import functools
import importlib
import json
import keyword
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

import httpx
import msgspec
import orjson
from _peer import PEER, PEER_VERSION, SPECS, child_env, emit, git_state, skip_if_needed

from connectory.core._fastpath import Miss, fast_path
from connectory.core.models import decode_with_deviations
from connectory.core.resources import decode_body
from connectory.generator import generate_spec

GITHUB = SPECS / "business" / "github.json"
STRIPE = SPECS / "business" / "stripe.json"
# (page label, spec, schema name in components/schemas, example name, model class name)
PAGES = (
    ("GitHub SimpleUser", "github", "simple-user", "simple-user-items", "SimpleUser"),
    (
        "GitHub MinimalRepository",
        "github",
        "minimal-repository",
        "minimal-repository-items",
        "MinimalRepository",
    ),
    ("GitHub Issue", "github", "issue", "issue-items", "Issue"),
    ("Stripe Customer", "stripe", "customer", None, "Customer"),
)


# -- the items -------------------------------------------------------------------------------


def github_items(document: dict[str, Any], example: str, count: int) -> list[Any]:
    template = document["components"]["examples"][example]["value"][0]
    items = []
    for index in range(count):
        item = copy.deepcopy(template)
        item["id"] = 1_000_000 + index
        item["node_id"] = f"MDQ6VXNlcj{index:08d}"
        for key in ("login", "name", "full_name", "title"):
            if isinstance(item.get(key), str):
                item[key] = f"{item[key]}-{index}"
        if isinstance(item.get("number"), int):
            item["number"] = index + 1
        items.append(item)
    return items


def stripe_customers(count: int) -> list[Any]:
    """Customers as the API sends them by default (nothing expanded)."""
    items = []
    for index in range(count):
        items.append(
            {
                "id": f"cus_{index:014d}",
                "object": "customer",
                "address": {
                    "city": "Berlin",
                    "country": "DE",
                    "line1": f"Strasse {index}",
                    "line2": None,
                    "postal_code": "10115",
                    "state": None,
                },
                "balance": index % 500,
                "created": 1_700_000_000 + index,
                "currency": "eur",
                "default_source": None,
                "delinquent": index % 7 == 0,
                "description": f"Customer {index}",
                "discount": None,
                "email": f"customer{index}@example.com",
                "invoice_prefix": f"A{index:06X}",
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": None,
                    "footer": None,
                    "rendering_options": None,
                },
                "livemode": False,
                "metadata": {"order": str(index)},
                "name": f"Customer {index}",
                "next_invoice_sequence": 1 + index % 9,
                "phone": None,
                "preferred_locales": ["de", "en"],
                "shipping": None,
                "tax_exempt": "none",
                "test_clock": None,
            }
        )
    return items


# -- msgspec Structs from the schemas ----------------------------------------------------------


class StructBuilder:
    """msgspec types for OpenAPI schemas (see the module docstring for the mapping)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.structs: dict[str, Any] = {}

    def resolve(self, schema: Any) -> tuple[Any, str | None]:
        name = None
        while isinstance(schema, dict) and "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.document["components"]["schemas"][name]
        return schema, name

    def type_of(self, schema: Any, hint: str, depth: int = 0) -> Any:
        schema, name = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 12:
            return Any
        nullable = schema.get("nullable") is True
        result = self._inner(schema, name or hint, depth)
        return result | None if nullable and result is not Any else result

    def _inner(self, schema: dict[str, Any], hint: str, depth: int) -> Any:
        if "allOf" in schema:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema["allOf"]:
                part, _ = self.resolve(part)
                merged["properties"].update(part.get("properties") or {})
                merged["required"] += part.get("required") or []
            if not merged["properties"]:
                return self.type_of(schema["allOf"][0], hint, depth + 1)
            return self._struct(merged, hint, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._union(
                    [self.type_of(s, f"{hint}{i}", depth + 1) for i, s in enumerate(schema[key])]
                )
        kind = schema.get("type")
        if kind == "array":
            return list[self.type_of(schema.get("items", {}), f"{hint}Item", depth + 1)]  # type: ignore[misc]
        if kind == "object" or "properties" in schema:
            if not schema.get("properties"):
                extra = schema.get("additionalProperties")
                value = (
                    self.type_of(extra, f"{hint}Value", depth + 1)
                    if isinstance(extra, dict) and extra
                    else Any
                )
                return dict[str, value]  # type: ignore[valid-type]
            return self._struct(schema, hint, depth)
        if kind == "string":
            return dt.datetime if schema.get("format") == "date-time" else str
        scalars: dict[Any, Any] = {"integer": int, "number": float, "boolean": bool}
        return scalars.get(kind, Any)

    @staticmethod
    def _union(members: list[Any]) -> Any:
        kinds = []
        for member in members:
            if member is Any:
                return Any
            kinds.append(
                "struct"
                if isinstance(member, type) and issubclass(member, msgspec.Struct)
                else repr(member)
            )
        if len(set(kinds)) != len(kinds):
            return Any  # two Structs (or two lists, ...) msgspec cannot tell apart
        return Union[tuple(members)]  # noqa: UP007 - built from a runtime tuple

    def _struct(self, schema: dict[str, Any], hint: str, depth: int) -> Any:
        key = f"{hint}:{id(schema)}"
        if key in self.structs:
            return self.structs[key]
        required = set(schema.get("required") or [])
        fields: list[tuple[Any, ...]] = []
        for prop, sub in schema["properties"].items():
            attribute = (
                prop if prop.isidentifier() and not keyword.iskeyword(prop) else f"f_{len(fields)}"
            )
            tp = self.type_of(sub, f"{hint}_{prop}", depth + 1)
            renamed = msgspec.field(name=prop) if attribute != prop else None
            if prop in required:
                fields.append((attribute, tp, renamed) if renamed else (attribute, tp))
            else:
                default = (
                    msgspec.field(name=prop, default=msgspec.UNSET) if renamed else msgspec.UNSET
                )
                fields.append((attribute, tp | msgspec.UnsetType, default))
        struct = msgspec.defstruct(
            "".join(p.title() for p in hint.replace("-", "_").split("_")) or "Item",
            fields,
            kw_only=True,
            omit_defaults=True,
        )
        self.structs[key] = struct
        return struct


# -- the decoders -------------------------------------------------------------------------------


def ours_package(spec: Path, name: str, root: Path) -> Any:
    generate_spec(spec, name, root / name)
    return importlib.import_module(f"{name}.models")


def schema_closure(document: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A spec holding only `names` (one list operation each) and the schemas they reach."""
    schemas = document["components"]["schemas"]
    needed: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[name]))
    paths = {
        f"/page{index}": {
            "get": {
                "operationId": f"page{index}",
                "responses": {
                    "200": {
                        "description": "a page",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": f"#/components/schemas/{name}"},
                                }
                            }
                        },
                    }
                },
            }
        }
        for index, name in enumerate(names)
    }
    return {
        "openapi": document["openapi"],
        "info": {"title": f"decode benchmark {names[0]}", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {name: _untitled(schemas[name]) for name in _leaves_first(schemas, needed)}
        },
    }


def _untitled(schema: Any) -> Any:
    """`schema` without ``title``s: openapi-python-client names models by title, and
    GitHub's ``nullable-simple-user`` has the title of ``simple-user``, a clash after
    which it drops both (and every schema that uses them)."""
    if isinstance(schema, list):
        return [_untitled(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _untitled(sub) for name, sub in value.items()}
        else:
            out[key] = _untitled(value)
    return out


def _leaves_first(schemas: dict[str, Any], names: set[str]) -> list[str]:
    """`names` with every schema after those it references: openapi-python-client resolves
    a reference only to a schema it has already read, and drops the schema otherwise."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for ref in re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[name])):
            visit(ref)
        ordered.append(name)

    for name in sorted(names):
        visit(name)
    return ordered


def peer_package(document: dict[str, Any], label: str, root: Path, literal_enums: bool) -> Any:
    """openapi-python-client's client for `document`, generated into `root` and imported."""
    spec = root / f"{label}.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    out = root / f"peer_{label}"
    command = [str(PEER), "generate", "--path", str(spec), "--output-path", str(out), "--overwrite"]
    if literal_enums:
        config = root / "literal.yaml"
        config.write_text("literal_enums: true\n", encoding="utf-8")
        command += ["--config", str(config)]
    completed = subprocess.run(  # noqa: S603 - the peer's command line, built here
        command, capture_output=True, text=True, env=child_env(), check=False
    )
    # It exits 1 after warning about schemas it skipped (GitHub's), the package written.
    packages = sorted(p.parent for p in out.glob("*/__init__.py"))
    if len(packages) != 1:
        raise RuntimeError(
            f"openapi-python-client failed on {spec.name}: {completed.stderr[-800:]}"
        )
    sys.path.insert(0, str(out))
    return importlib.import_module(f"{packages[0].name}.models")


def _ours(tp: Any, data: bytes) -> Any:
    # What a generated operation does with a JSON response: bytes to its declared type.
    return decode_body(httpx.Response(200, content=data), "json", tp, strict=False)[0]


def _peer(model: Any, data: bytes) -> Any:
    return [model.from_dict(item) for item in json.loads(data)]


def measure(decoders: dict[str, Callable[[], Any]], rounds: int, items: int) -> dict[str, Any]:
    names = list(decoders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm-up: caches, compiled decoders
        decoders[name]()
    shuffle = random.Random(2026).shuffle
    for _ in range(rounds):
        order = list(names)
        shuffle(order)
        for name in order:
            started = time.perf_counter()
            decoders[name]()
            times[name].append((time.perf_counter() - started) / items * 1e6)
    out: dict[str, Any] = {}
    for name in names:
        out[name] = {
            "median_us": statistics.median(times[name]),
            "min_us": min(times[name]),
            "max_us": max(times[name]),
        }
    if "peer" in times:
        out["ratio_peer_to_ours"] = statistics.median(
            p / o for p, o in zip(times["peer"], times["connectory"], strict=True)
        )
    out["ratio_ours_to_msgspec"] = statistics.median(
        o / m for o, m in zip(times["connectory"], times["msgspec"], strict=True)
    )
    if "json_only" in times:
        out["ratio_json_to_msgspec"] = statistics.median(
            j / m for j, m in zip(times["json_only"], times["msgspec"], strict=True)
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    skip_if_needed()
    documents = {"github": json.loads(GITHUB.read_text()), "stripe": json.loads(STRIPE.read_text())}
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-decode-") as scratch:
        root = Path(scratch)
        sys.path.insert(0, str(root))
        ours = {
            "github": ours_package(GITHUB, "bench_github", root),
            "stripe": ours_package(STRIPE, "bench_stripe", root),
        }
        peers = {
            spec: peer_package(
                schema_closure(documents[spec], [p[2] for p in PAGES if p[1] == spec]),
                spec,
                root,
                literal_enums=spec == "stripe",
            )
            for spec in documents
        }
        for label, spec, schema, example, model in PAGES:
            document = documents[spec]
            page = (
                github_items(document, example, args.items)
                if example is not None
                else stripe_customers(args.items)
            )
            data = json.dumps(page).encode()
            our_model = getattr(ours[spec], model)
            peer_model = getattr(peers[spec], model, None)
            struct = StructBuilder(document).type_of(
                {"$ref": f"#/components/schemas/{schema}"}, model
            )
            our_type = list[our_model]  # type: ignore[valid-type]
            struct_type = list[struct]  # type: ignore[valid-type]
            _, found = decode_with_deviations(our_type, orjson.loads(data))
            if found:
                raise SystemExit(f"{label}: the page deviates from its schema: {found[:3]}")
            path = fast_path(our_type)
            try:
                fast = path is not None and bool(path.from_json(data))
            except Miss:
                fast = False
            decoders: dict[str, Callable[[], Any]] = {
                "connectory": functools.partial(_ours, our_type, data),
                "msgspec": functools.partial(msgspec.json.decode, data, type=struct_type),
                # The floor of any parse-then-build decoder: the bytes to plain JSON values.
                "json_only": functools.partial(orjson.loads, data),
            }
            peer_failure = "its generator drops the schema" if peer_model is None else None
            if peer_model is not None:
                try:
                    _peer(peer_model, data)
                except Exception as error:  # the peer's generated code fails on the page
                    peer_failure = f"its from_dict raises {type(error).__name__}: {error}"[:160]
                else:
                    decoders["peer"] = functools.partial(_peer, peer_model, data)
            figures = measure(decoders, args.rounds, args.items)
            results.append(
                {
                    "page": label,
                    "bytes": len(data),
                    "fast_path": fast,
                    "peer_failure": peer_failure,
                    **figures,
                }
            )
    header = ("page", "connectory µs", "peer µs", "msgspec µs", "peer/ours", "ours/msgspec")
    print(f"{header[0]:<26} " + " ".join(f"{h:>14}" for h in header[1:]))
    for row in results:
        peer = f"{row['peer']['median_us']:.2f}" if "peer" in row else "n/a"
        ratio = f"{row['ratio_peer_to_ours']:.2f}" if "peer" in row else "n/a"
        ours, fastest = row["connectory"]["median_us"], row["msgspec"]["median_us"]
        print(
            f"{row['page']:<26} {ours:>14.2f} {peer:>14} {fastest:>14.2f} {ratio:>14} "
            f"{row['ratio_ours_to_msgspec']:>14.2f}"
        )
    for row in results:
        if row["peer_failure"]:
            print(f"peer n/a for {row['page']}: {row['peer_failure']}")
    emit(
        {
            "benchmark": "decode",
            "items": args.items,
            "rounds": args.rounds,
            "peer": f"openapi-python-client {PEER_VERSION}",
            "msgspec": msgspec.__version__,
            "python": platform.python_version(),
            "git": git_state(),
            "pages": results,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
