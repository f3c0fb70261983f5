"""``python -m connectory`` runs the CLI."""

from connectory.cli import main

main()
