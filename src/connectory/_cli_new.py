"""``connectory new``: scaffold a connector definition from a vendor's spec."""

from __future__ import annotations
