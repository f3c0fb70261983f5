"""``python -m connectory``: the command line."""

from ._entry import main

main()
