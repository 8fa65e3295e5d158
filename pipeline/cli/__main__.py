"""`python -m pipeline.cli`: the `indicators` command."""

from pipeline.cli import app

app()
