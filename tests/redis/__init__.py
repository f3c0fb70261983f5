"""Tests of shared state in Redis (marked ``redis``: they need a redis-server)."""
