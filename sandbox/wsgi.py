"""WSGI entry point for granian and gunicorn: settings come from SANDBOX_* variables."""

from sandbox import create_app

app = create_app()
