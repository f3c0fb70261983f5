"""Tests of the generator: specs in, typed connector packages out."""
