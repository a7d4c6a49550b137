"""Render a mail template (French) into its subject, text and HTML parts.

Each mail kind ``K`` has ``templates/K.txt`` and ``templates/K.html``; the first
line of the text template is ``Subject: ...``. HTML is autoescaped; the text part
is not HTML and is left as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@dataclass(frozen=True)
class Rendered:
    """A rendered mail."""

    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("sandbox.mail", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """Render mail ``kind`` with ``context``."""
    env = _environment()
    text = env.get_template(f"{kind}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"mail template {kind}.txt must start with 'Subject: '")
    html = env.get_template(f"{kind}.html").render(**context)
    subject = first.removeprefix("Subject: ").strip()
    return Rendered(subject=subject, text=body.lstrip("\n"), html=html)


def available_kinds() -> list[str]:
    """Return the mail kinds that have both templates."""
    names = set(_environment().list_templates())
    return sorted(n[:-4] for n in names if n.endswith(".txt") and n[:-4] + ".html" in names)
