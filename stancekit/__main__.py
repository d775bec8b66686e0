"""``python -m stancekit``: the same command line as ``stancekit``."""

from stancekit.cli import main

main()
