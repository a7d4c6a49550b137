"""Drive a running sandbox from the shell, over its control plane's HTTP API.

``chorus-sandbox reset | clock | fault | override | maintenance | mails | requests |
verify`` (and
``credentials --url``), as LocalStack's ``awslocal`` or WireMock's admin CLI do. Each
command talks to ``--url`` (default: ``SANDBOX_PUBLIC_BASE_URL``, else
``http://SANDBOX_HOST:SANDBOX_PORT``) with ``SANDBOX_ADMIN_TOKEN`` as ``X-Sandbox-Token``
when set, prints the answer as JSON (or a short table), and ends with one clear line
and exit 1 when the sandbox is not there or refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
import requests

from sandbox.config import load_settings
from sandbox.testing.client import SandboxClient, SandboxError


def _default_url() -> str:
    settings = load_settings()
    return settings.public_base_url or f"http://{settings.host}:{settings.port}"


def _client(url: str | None) -> SandboxClient:
    settings = load_settings()
    return SandboxClient(url or _default_url(), "", admin_token=settings.admin_token or None,
                         timeout=10)


def _call(url: str | None, action: Callable[[SandboxClient], Any]) -> Any:
    client = _client(url)
    try:
        return action(client)
    except requests.ConnectionError:
        raise click.ClickException(
            f"no sandbox answers at {client.url} (start one with `make run`, or give --url)"
        ) from None
    except requests.RequestException as exc:
        raise click.ClickException(f"{client.url}: {exc}") from None
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from None


def _echo(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


url_option = click.option("--url", default=None, metavar="URL",
                          help="The sandbox (default: SANDBOX_PUBLIC_BASE_URL).")


def remote_credentials(url: str) -> str:
    """The default accounts of the sandbox at ``url``, as JSON text."""
    return json.dumps(_call(url, lambda c: c.credentials()), ensure_ascii=False, indent=2)


def _json_option(text: str | None, what: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as problem:
        raise click.BadParameter(f"not JSON ({problem})", param_hint=what) from None


def _headers(pairs: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected NAME:VALUE", param_hint="--header")
        headers[name.strip()] = value.strip()
    return headers


@click.command("reset")
@url_option
@click.option("--seed", type=int, default=None, help="Another seed for the baseline.")
@click.option("--clear-mailpit", is_flag=True, help="Empty Mailpit too.")
def reset(url: str | None, seed: int | None, clear_mailpit: bool) -> None:
    """Put a running sandbox back to its seeded baseline."""
    _echo(_call(url, lambda c: c.reset(seed=seed, clear_mailpit=clear_mailpit)))

@click.command("clock")
@url_option
@click.argument("action", type=click.Choice(["show", "advance", "set", "offset", "rate", "real"]),
                default="show")
@click.argument("value", required=False)
def clock(url: str | None, action: str, value: str | None) -> None:
    """Show or move the sandbox clock: show | advance 25h | set 2027-01-31T09:00:00Z |
    offset -1h | rate 60 (sandbox time runs 60 times real time from now) | real (offset 0,
    rate 1)."""
    if action in ("advance", "set", "offset", "rate") and not value:
        raise click.UsageError(
            f"`clock {action}` needs a value (e.g. 25h, an ISO instant, or a rate like 60)")
    rate: float | None = None
    if action == "rate":
        try:
            rate = float(value or "")
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a number (e.g. 60)",
                                     param_hint="rate") from None
    moves: dict[str, Callable[[SandboxClient], Any]] = {
        "show": lambda c: c.clock(),
        "advance": lambda c: c.set_clock(advance=value),
        "set": lambda c: c.set_clock(now=value),
        "offset": lambda c: c.set_clock(value),
        "rate": lambda c: c.set_clock(rate=rate),
        "real": lambda c: c.set_clock(0, rate=1),
    }
    _echo(_call(url, moves[action]))

@click.command("fault")
@url_option
@click.argument("action", type=click.Choice(["list", "add", "clear"]), default="list")
@click.option("--path", default="*", show_default=True, help="Path pattern (fnmatch).")
@click.option("--method", default=None, help="Only this HTTP method.")
@click.option("--status", type=click.IntRange(100, 599), default=None,
              help="Answer this status (default 503 unless --latency-ms or --drop).")
@click.option("--drop", is_flag=True, help="Drop the connection instead of answering.")
@click.option("--probability", type=click.FloatRange(0, 1), default=1.0, show_default=True)
@click.option("--latency-ms", type=click.FloatRange(0), default=None)
def fault(url: str | None, action: str, path: str, method: str | None, status: int | None,
          drop: bool, probability: float, latency_ms: float | None) -> None:
    """List, add or clear injected faults."""
    if action == "list":
        _echo(_call(url, lambda c: c.faults()))
    elif action == "clear":
        _call(url, lambda c: c.clear_faults())
        click.echo("faults cleared, maintenance off")
    else:
        if status is None and latency_ms is None and not drop:
            status = 503
        _echo(_call(url, lambda c: c.inject_fault(
            path, method=method, status=status, drop=drop, probability=probability,
            latency_ms=latency_ms)))

@click.command("override")
@url_option
@click.argument("action", type=click.Choice(["list", "add", "remove", "clear"]),
                default="list")
@click.argument("name", required=False)
@click.option("--path", default="*", show_default=True, help="Path pattern (fnmatch).")
@click.option("--path-regex", default=None, help="Full-match regex instead of --path.")
@click.option("--method", default=None, help="Only this HTTP method.")
@click.option("--status", type=click.IntRange(200, 599), default=200, show_default=True)
@click.option("--body", default=None, help="JSON body of the answer.")
@click.option("--header", "header", multiple=True, metavar="NAME:VALUE",
              help="A header of the answer (repeatable).")
@click.option("--body-partial", default=None,
              help="Only requests whose JSON/form body contains this JSON.")
@click.option("--times", type=click.IntRange(1), default=None,
              help="Only the next N matching requests.")
def override(url: str | None, action: str, name: str | None, path: str,
             path_regex: str | None, method: str | None, status: int, body: str | None,
             header: tuple[str, ...], body_partial: str | None,
             times: int | None) -> None:
    """List, add, remove (by NAME) or clear the response overrides: matching requests
    answer the given status, JSON body and headers instead of the real handler."""
    if action == "list":
        faults = _call(url, lambda c: c.faults())
        for rule, used in zip(faults["rules"], faults["used"], strict=True):
            if "response" in rule:
                click.echo(json.dumps({**rule, "used": used}, ensure_ascii=False))
    elif action == "remove":
        if not name:
            raise click.UsageError("`override remove` needs the override's NAME")
        _call(url, lambda c: c.remove_rule(name))
        click.echo(f"override {name} removed")
    elif action == "clear":
        _call(url, lambda c: c.clear_overrides())
        click.echo("overrides cleared (the other fault rules stay)")
    else:
        answer_body = _json_option(body, "--body")
        partial = _json_option(body_partial, "--body-partial")
        added = _call(url, lambda c: c.override(
            path, method=method, status=status, body=answer_body, headers=_headers(header),
            body_partial=partial, times=times, path_regex=path_regex, name=name))
        click.echo(added.name)

@click.command("verify")
@url_option
@click.option("--method", default=None)
@click.option("--path", default=None, help="Exact path.")
@click.option("--path-glob", default=None, help="Glob on the path.")
@click.option("--body-partial", default=None, help="The JSON/form body contains this JSON.")
@click.option("--status", type=int, default=None)
@click.option("--since", default=None, help="Epoch seconds or ISO 8601 instant.")
@click.option("--count", type=click.IntRange(0), default=None,
              help="Exit 1 unless exactly this many requests match.")
def verify(url: str | None, method: str | None, path: str | None, path_glob: str | None,
           body_partial: str | None, status: int | None, since: str | None,
           count: int | None) -> None:
    """How many journaled requests match; with --count, exit 1 (and name the near
    misses) when the number differs."""
    matcher = {"method": method, "path": path, "path_glob": path_glob, "status": status,
               "body_partial": _json_option(body_partial, "--body-partial"),
               "since": float(since) if since and since.replace(".", "").isdigit()
               else since}
    if count is None:
        _echo(_call(url, lambda c: c.verify(**matcher)))
        return
    found = _call(url, lambda c: c.assert_received(count, **matcher))
    click.echo(f"{len(found)} request(s) match, as expected")

@click.command("maintenance")
@url_option
@click.argument("state", type=click.Choice(["on", "off"]))
def maintenance(url: str | None, state: str) -> None:
    """Switch maintenance mode on or off."""
    _call(url, lambda c: c.maintenance(state == "on"))
    click.echo(f"maintenance {state}")

@click.command("mails")
@url_option
@click.option("--to", "to", required=True, help="The recipient's address.")
def mails(url: str | None, to: str) -> None:
    """The mails the sandbox sent to an address, with their delivery state and link."""
    for mail in _call(url, lambda c: c.mails(to)):
        click.echo(json.dumps(mail, ensure_ascii=False))

@click.command("requests")
@url_option
@click.option("--path", default=None, help="Only requests whose path matches this glob.")
@click.option("--method", default=None)
@click.option("--status", default=None)
@click.option("--unmatched", is_flag=True, help="Only the requests no route answered.")
def requests_(url: str | None, path: str | None, method: str | None,
              status: str | None, unmatched: bool) -> None:
    """The journal of requests the sandbox received (newest first)."""
    filters = {k: v for k, v in {"path": path, "method": method, "status": status}.items()
               if v is not None}
    rows = _call(url, lambda c: c.unmatched() if unmatched
                 else c.requests_journal(**filters))
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False))


COMMANDS = (reset, clock, fault, override, verify, maintenance, mails, requests_)
