"""The sandbox's version (pyproject.toml's), for /health and both OpenAPI documents."""

__version__ = "0.1.0"
