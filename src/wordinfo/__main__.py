"""``python -m wordinfo``: the command line."""

from .cli import main

main()
