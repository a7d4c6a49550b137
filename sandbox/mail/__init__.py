"""E-mail: French templates, a transactional outbox, and its SMTP dispatcher."""

from sandbox.mail.outbox import enqueue

__all__ = ["enqueue"]
