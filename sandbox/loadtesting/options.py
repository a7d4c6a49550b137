"""Checks of the load options, done before anything starts (no stack, no Locust).

``chorus-sandbox load --mix foo=1`` or ``-t banana`` must fail at once with one line,
not after a whole stack was started and Locust died in its log. The user names are
the keys of ``loadtests/locustfile.py``'s ``USER_CLASSES``; that file parses ``--mix``
with :func:`parse_mix` below, so the two cannot disagree.
"""

from __future__ import annotations

# The user classes of loadtests/locustfile.py, by their --mix name.
LOAD_USERS = ("signup", "rattachement", "api", "invoice")


def parse_mix(text: str, known: tuple[str, ...] = LOAD_USERS) -> dict[str, int]:
    """Return the weights of 'signup=3,api=7'; ValueError naming the bad part otherwise."""
    weights: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = (x.strip() for x in part.partition("="))
        if name not in known:
            raise ValueError(f"--mix: unknown user {name!r} (known: {', '.join(known)})")
        try:
            weight = int(value) if sep else 1
        except ValueError:
            raise ValueError(
                f"--mix: the weight of {name!r} is not a whole number: {value!r}"
            ) from None
        if weight < 0:
            raise ValueError(f"--mix: the weight of {name!r} is negative: {weight}")
        weights[name] = weight
    if weights and not any(weights.values()):
        raise ValueError("--mix leaves no user class with a weight above 0")
    return weights


def duration_seconds(text: str) -> float:
    """'90', '90s', '2m', '1h30m' -> seconds."""
    total, number = 0.0, ""
    for char in str(text).strip():
        if char.isdigit() or char == ".":
            number += char
        elif char in "hms" and number:
            total += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise ValueError(f"bad duration {text!r} (use e.g. 90s, 2m, 1h30m)")
    return total + (float(number) if number else 0.0)
