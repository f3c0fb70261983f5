"""The seed's error handling service: failures mapped to typed errors and logged, redacted."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from ._errors import ConnectorError, error_for_exception, error_for_response
from ._interfaces import IErrorHandlingService
from ._redact import get_logger, redact


class BaseErrorHandlingService(IErrorHandlingService):
    """Maps failures to typed `ConnectorError`s and logs them, redacted."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or get_logger("connectory.errors")

    def handle_api_error(self, error: Exception, context: Mapping[str, Any]) -> Exception:
        connector = context.get("connector")
        operation = context.get("operation")
        if isinstance(error, ConnectorError):
            mapped = error
        elif isinstance(error, httpx.HTTPStatusError):
            mapped = error_for_response(error.response, connector=connector, operation=operation)
        elif isinstance(error, httpx.TransportError):
            mapped = error_for_exception(error, connector=connector, operation=operation)
        else:
            mapped = ConnectorError(
                f"{type(error).__name__}: {error}", connector=connector, operation=operation
            )
        self.log_error(mapped, str(operation or "request"), context)
        return mapped

    def log_error(
        self, error: Exception, operation: str, context: Mapping[str, Any] | None = None
    ) -> None:
        extra = {
            "connector": (context or {}).get("connector"),
            "operation": operation,
            "error_type": type(error).__name__,
        }
        self.logger.warning(
            "%s failed: %s", operation, redact(str(error)), extra={"connectory": extra}
        )
