"""A library never writes to the stderr of an application that configured no logging:
retries (stamina's records included), errors and warnings stay in `logging`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.servers import Fault, FaultStormSpec, run_server


def test_retries_and_failures_print_nothing_when_logging_is_not_configured() -> None:
    script = (Fault.UNAVAILABLE, Fault.RESET, Fault.RATE_LIMITED_RETRY_NOW, None) * 3
    with run_server(FaultStormSpec(script=script, max_consecutive_faults=3)) as server:
        program = textwrap.dedent(
            f"""
            import asyncio
            from connectory.core import (
                AuthenticationType, BaseAuthenticationService, BaseConnectorService,
                BaseDataService, ConnectorConfig, ConnectorError, UniversalConnectorFactory,
            )

            config = ConnectorConfig(
                connector_type="quiet",
                authentication_type=AuthenticationType.NONE,
                base_url={server.url!r},
                retry={{"attempts": 5, "wait_initial": 0.01, "wait_max": 0.02}},
            )
            factory = UniversalConnectorFactory(discover=False)
            factory.register_connector_implementation(
                "quiet", BaseConnectorService, BaseAuthenticationService, BaseDataService, config
            )

            async def main() -> None:
                async with factory.create_connector("quiet") as connector:
                    for item in (1, 2, 3):
                        await connector.request("GET", f"/items/{{item}}")
                    try:
                        await connector.request("GET", "/missing")
                    except ConnectorError:
                        pass

            asyncio.run(main())
            print("done")
            """
        )
        completed = subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
        )
        arrivals = server.recording().arrivals
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "done\n"
    assert completed.stderr == ""
    assert sum(1 for a in arrivals if not a.ok) >= 6  # retries did happen
