"""No credential reaches an exported span or metric, in any form it travels in.

Connectors with each kind of credential (API key in the query, bearer, basic, OAuth2 with a
refresh) call a real local server that echoes what it receives in its error bodies; every
exported span (name, attributes, events, links, status) and every metric data point is
searched for each secret, its escaped forms and its base64 form.
"""

from __future__ import annotations

import base64
import json

import pytest

from connectory.core import ConnectorError
from connectory.core._redact import _forms
from tests.local_server import serve
from tests.otel._vendor import KINDS, Vendor, connector
from tests.otel.conftest import Telemetry


def _needles(secrets: tuple[str, ...]) -> set[str]:
    needles: set[str] = set()
    for secret in secrets:
        needles |= _forms(secret)
        needles.add(base64.b64encode(secret.encode()).decode())
    return needles


def _exported_texts(telemetry: Telemetry) -> list[str]:
    texts: list[str] = []
    for span in telemetry.spans():
        texts.append(span.name)
        texts.append(json.dumps(dict(span.attributes or {}), default=str))
        texts.append(str(span.status.description))
        for event in span.events:
            texts.append(event.name)
            texts.append(json.dumps(dict(event.attributes or {}), default=str))
        for link in span.links:
            texts.append(json.dumps(dict(link.attributes or {}), default=str))
    for name, points in telemetry.metrics().items():
        texts.append(name)
        texts.extend(json.dumps(point.attributes, default=str) for point in points)
    return texts


@pytest.mark.parametrize("kind", ["api-key-in-query", "bearer", "basic", "oauth2"])
async def test_no_secret_in_any_exported_span_or_metric(telemetry: Telemetry, kind: str) -> None:
    credential = KINDS[kind]
    vendor = Vendor(credential.valid)
    with serve(vendor) as server:
        async with connector(server.url, credential) as otel:
            await otel.items.get("flaky")
            await otel.items.get("moved", extra_query={"page": "2"})
            with pytest.raises(ConnectorError):
                await otel.items.get("missing")
            await otel.request("GET", "/items/{id}", path_params={"id": "9"})
            otel.monitoring_service.record_metric("checked", 1, {"kind": kind})

    # The secrets did travel (the test would prove nothing otherwise) ...
    sent = json.dumps([[r.headers, r.query, r.body.decode()] for r in vendor.received])
    assert any(needle in sent for needle in _needles(credential.secrets))
    assert all(credential.valid(r) for r in vendor.received if r.path.startswith("/v1/items/9"))
    # ... and telemetry saw those requests, URLs included ...
    texts = _exported_texts(telemetry)
    assert len(telemetry.calls()) == 4
    assert any(f"{server.url}/v1/items/flaky" in text for text in texts)
    # ... but never a secret.
    leaks = [
        f"{needle!r} in {text!r}"
        for text in texts
        for needle in _needles(credential.secrets)
        if needle in text
    ]
    assert leaks == []
