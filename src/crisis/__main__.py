"""Entry point for ``python -m crisis``."""

from crisis.cli.main import main

main()
