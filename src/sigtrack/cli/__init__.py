"""The `sigtrack` command: a thin shell over the Python API."""

from sigtrack.cli.app import app
from sigtrack.cli.main import main, run

__all__ = ["app", "main", "run"]
