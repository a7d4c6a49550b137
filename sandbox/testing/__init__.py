"""Test support: start a real sandbox and Mailpit, and drive them (pytest plugin)."""
