"""Generated connector packages, one per vendor: ``connectory.connectors.<name>``.

Everything below this package is written by ``connectory generate``; do not edit by hand.
"""
