"""``python -m wordinfo.cli``: the command line."""

from . import main

main()
