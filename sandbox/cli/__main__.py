"""``python -m sandbox.cli``: the ``chorus-sandbox`` command."""

from sandbox.cli import main

main()
