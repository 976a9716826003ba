"""``python -m urna.cli``."""

from urna.cli import app

app()
