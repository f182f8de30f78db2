"""The ``crisis`` command line, one module per command group."""
