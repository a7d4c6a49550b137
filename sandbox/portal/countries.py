"""Countries for the "Pays" list: ISO 3166 alpha-2 codes with French names (pycountry)."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def choices() -> list[tuple[str, str]]:
    """(code, French name) pairs, France first then alphabetical."""
    translate: Callable[[str], str]
    try:
        french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
        translate = french.gettext
    except OSError:  # catalogue missing: English names
        translate = str
    rows = [(c.alpha_2, translate(c.name)) for c in pycountry.countries]
    rows.sort(key=lambda row: row[1].casefold())
    france = [row for row in rows if row[0] == "FR"]
    return france + [row for row in rows if row[0] != "FR"]


def name(code: str | None) -> str:
    """The French name of a country code ('' if unknown)."""
    return dict(choices()).get((code or "").upper(), code or "")
