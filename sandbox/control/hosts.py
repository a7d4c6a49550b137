"""Which ``Host`` the sandbox answers to and which ``Origin`` is its own (issue #14.6).

DNS rebinding: a page on ``http://rebind.evil.example:8080`` whose name the attacker
then points at 127.0.0.1 reaches the developer's local sandbox *from its own
origin*: the browser sends ``Host`` and ``Origin`` both naming the attacker, so a
loopback check passes and an Origin compared with the URL built from ``Host``
passes too. The name in ``Host`` is therefore checked against an allow-list on
every surface (portal, API, control plane; ``/health`` stays open for probes):

- loopback names and addresses: ``localhost`` (and ``*.localhost``, which browsers
  resolve to loopback themselves), ``127.0.0.0/8``, ``[::1]``, any port;
- the host of ``public_base_url``;
- the names in ``SANDBOX_ALLOWED_HOSTS`` (comma-separated; ``*`` accepts any).

A request without a ``Host`` header is no browser's and is not refused. Origins are
compared exactly (scheme, host, port), never as a prefix. Redirect ``Location``s
that would name the request's own host become relative, so none is built from it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from sandbox.config import Settings
from sandbox.control.api import bp, error
from sandbox.control.hooks import refusal

DEFAULT_PORTS = {"http": 80, "https": 443}
OPEN_PREFIXES = ("/health",)


def split_host(host: str) -> tuple[str, int | None]:
    """``"[::1]:8080"`` -> (``"::1"``, 8080); names lower-cased, a final dot dropped.
    A port that is not a number gives ``-1`` (never allowed as an origin's)."""
    host = host.strip().lower()
    port: int | None = None
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
    else:
        name, sep, port_text = host.rpartition(":")
        if not sep:
            name, port_text = port_text, None
    if port_text is not None:
        port = int(port_text) if port_text.isascii() and port_text.isdigit() else -1
    return name.rstrip("."), port


def is_loopback_name(name: str) -> bool:
    """``localhost``, ``*.localhost`` or a loopback address (IPv4-mapped included)."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@lru_cache(maxsize=8)
def _allowed_names(public_base_url: str, allowed_hosts: str) -> frozenset[str]:
    names = {split_host(item)[0] for item in allowed_hosts.split(",") if item.strip()}
    base = urlsplit(public_base_url).hostname
    if base:
        names.add(base.lower().rstrip("."))
    return frozenset(names)


def host_allowed(host: str, settings: Settings) -> bool:
    """Whether the sandbox answers to ``host`` (a Host header value)."""
    return _host_allowed(host, settings.public_base_url, settings.allowed_hosts)


@lru_cache(maxsize=256)  # asked on every request, with a handful of distinct hosts
def _host_allowed(host: str, public_base_url: str, allowed_hosts: str) -> bool:
    name, _ = split_host(host)
    if not name:
        return False
    if is_loopback_name(name):
        return True
    names = _allowed_names(public_base_url, allowed_hosts)
    return "*" in names or name in names


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL or ``Origin`` value; None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port out of range or not a number
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def own_origins(settings: Settings) -> set[tuple[str, str, int]]:
    """The origins of this sandbox for this request: the one the browser used (its
    ``Host``, already allowed) and the public base URL's."""
    origins = {origin_of(settings.public_base_url), origin_of(f"{request.scheme}://{request.host}")}
    origins.discard(None)
    return origins  # type: ignore[return-value]


def same_origin(value: str, settings: Settings) -> bool:
    """Whether an ``Origin`` (or a ``Referer``'s origin) is exactly one of ours."""
    origin = origin_of(value)
    return origin is not None and origin in own_origins(settings)


def _refuse_unknown_host() -> Response | None:
    if "HTTP_HOST" not in request.environ or request.path.startswith(OPEN_PREFIXES):
        return None
    settings = current_app.config["SANDBOX"]
    if host_allowed(request.host, settings):
        return None
    name = split_host(request.environ["HTTP_HOST"])[0][:100]
    if request.path.startswith(bp.url_prefix or "/_sandbox"):
        answer, _ = error(f"host {name!r} is not allowed (DNS-rebinding guard): use "
                          f"{settings.public_base_url} or a loopback address, or add the name "
                          "to SANDBOX_ALLOWED_HOSTS", 403)
        answer.status_code = 403
        return answer
    return refusal(
        403, "Adresse non autorisée",
        f"Ce bac à sable ne répond pas au nom « {name} ». Utilisez "
        f"{settings.public_base_url} (ou une adresse de bouclage), ou ajoutez ce nom au "
        "réglage SANDBOX_ALLOWED_HOSTS.",
        "host_not_allowed",
    )


def _relative_location(response: Response) -> Response:
    """A ``Location`` naming the request's own host (Werkzeug's slash redirects build
    it from ``Host``) loses its scheme and host: the browser keeps the URL it used."""
    # One pass over the headers: ``headers.get`` raises and catches an HTTP exception
    # when the header is missing, as it is from almost every answer (issue #24).
    location = next((value for name, value in response.headers if name.lower() == "location"),
                    None)
    if location and "://" in location:
        parts = urlsplit(location)
        if parts.netloc.lower() == request.host.lower():
            response.headers["Location"] = parts.path + (f"?{parts.query}" if parts.query else "")
    return response


def init_app(app: Flask) -> None:
    """Check ``Host`` first of all (before the shared state is even read)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_unknown_host)
    app.after_request(_relative_location)
