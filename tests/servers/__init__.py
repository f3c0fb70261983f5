"""Real HTTP servers on 127.0.0.1 that inject faults and record every request that arrives.

They exist to test the runtime against what a mock transport hides: real connections,
resets, truncated bodies, slow answers, and the arrival times a server actually sees.
Each server runs in its own process::

    from tests.servers import FaultStormSpec, Fault, run_server

    with run_server(FaultStormSpec(faults={Fault.RESET: 0.2}, seed=7)) as server:
        ...  # point the client under test at server.url
        recording = server.recording()
        assert len(recording.arrivals) == ...

Scenarios: `FaultStormSpec` (JSON API with faults), `OAuthSpec` (token endpoint with
rotating refresh tokens, protected ``/me``), `PaginationSpec` (listings that page in
awkward ways), `PingSpec` (fast ``/ping``, optional server-side limit), `RecorderSpec`
(answers everything, for "another origin"). `max_in_window` and `rate` check rate
limits against the recorded arrival times. A test can write its own scenario: a picklable
spec whose ``build(origin)`` returns an object with ``respond(Request) -> Action`` and
``state() -> dict`` (see `ServerSpec`, `Scenario`).
"""

from ._app import Scenario, ServerSpec
from ._basic import OVER_LIMIT, PingSpec, RecorderSpec
from ._http import (
    CLIENT_ABORTED,
    SERVER_BUG,
    Action,
    Reply,
    Request,
    Reset,
    Stall,
    Truncate,
    json_reply,
)
from ._oauth import REFRESH_REJECTED, TOKEN_PATH, OAuthSpec
from ._paging import LINK_STYLES, PaginationSpec, PagingMode, link_style_for
from ._records import OK, Arrival, CreatedItem, Recording, TokenRequest
from ._run import RunningServer, ServerStartError, run_server
from ._storm import Fault, FaultStormSpec, item
from ._windows import max_in_window, rate

__all__ = [
    "CLIENT_ABORTED",
    "LINK_STYLES",
    "OK",
    "OVER_LIMIT",
    "REFRESH_REJECTED",
    "SERVER_BUG",
    "TOKEN_PATH",
    "Action",
    "Arrival",
    "CreatedItem",
    "Fault",
    "FaultStormSpec",
    "OAuthSpec",
    "PaginationSpec",
    "PagingMode",
    "PingSpec",
    "RecorderSpec",
    "Recording",
    "Reply",
    "Request",
    "Reset",
    "RunningServer",
    "Scenario",
    "ServerSpec",
    "ServerStartError",
    "Stall",
    "TokenRequest",
    "Truncate",
    "item",
    "json_reply",
    "link_style_for",
    "max_in_window",
    "rate",
    "run_server",
]
