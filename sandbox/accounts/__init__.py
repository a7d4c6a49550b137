"""Accounts: signup, activation links, login rules, rattachements (no HTTP here)."""
