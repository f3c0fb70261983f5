"""Batch reads and incremental sync against real local servers."""
