"""``chorus-sandbox check-invoice FILE...``: what the platform would say of invoice files,
without depositing them, for an integrator's CI.

Each file goes to a running sandbox's ``POST /_sandbox/factures/check`` (the worker's
own reading and rules: one copy of the rules, in ``factures/rules/``), which answers the
flux state the deposit would reach, each invoice's ``listeErreurDP`` libellé as the CR
would carry it, and the explanation of each error (rule, element, line, column, why, how
to fix). Exit status: 0 every file would integrate wholly, 1 one would not (rejected or
partly integrated), 2 a usage error (bad option, unreadable file, no sandbox, a refused
request).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import requests
from lxml import etree

from sandbox.cli.control import _client, url_option
from sandbox.testing.client import SandboxError
from sandbox.vocabulary import SyntaxeFlux

USAGE = 2
INTEGRATED = "IN_INTEGRE"


class UsageFailure(click.ClickException):
    exit_code = USAGE


def guess_syntax(path: Path, content: bytes) -> str:
    """The syntaxeFlux of a file when none is given: a PDF is Factur-X, an XML is E1 UBL
    or E1 CII 16B by its root; anything else needs --syntaxe."""
    if content.startswith(b"%PDF"):
        return SyntaxeFlux.IN_DP_E2_CII_FACTURX
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False,
                                                          no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        raise UsageFailure(f"{path}: not XML nor PDF, give its --syntaxe") from None
    name = etree.QName(root).localname
    if name in ("Invoice", "CreditNote"):
        return SyntaxeFlux.IN_DP_E1_UBL_INVOICE
    if name == "CrossIndustryInvoice":
        return SyntaxeFlux.IN_DP_E1_CII_16B
    raise UsageFailure(f"{path}: root <{name}> is neither UBL nor CII, give its --syntaxe")


def _report(path: Path, syntaxe: str, verdict: dict[str, Any]) -> None:
    click.echo(f"{path}: {verdict['etatCourantDepotFlux']} ({syntaxe})")
    for error in verdict["listeErreurTechnique"]:
        click.echo(f"  {error['codeErreur']}: {error['libelleErreur']}")
        _explain(error["explication"])
    for facture in verdict["factures"]:
        dp = facture["erreurDP"]
        if dp is None:
            click.echo(f"  DP {facture['numeroFacture']}: integree "
                       f"(cadre {facture['cadreFacturation']})")
            continue
        click.echo(f"  DP {facture['numeroFacture']}: {dp['libelleErreurDP']}")
        for explanation in facture["explications"]:
            _explain(explanation)


def _explain(e: dict[str, Any]) -> None:
    where = ""
    if e.get("ligne"):
        where = f" line {e['ligne']}" + (f" col {e['colonne']}" if e.get("colonne") else "")
    if e.get("fichier"):
        where = f" {e['fichier']}{where}"
    element = f" {e['element']}{' (absent)' if e.get('absent') else ''}" if e.get("element") else ""
    click.echo(f"    [{e['regle']}]{where}{element}")
    click.echo(f"      why: {e['why']}")
    click.echo(f"      fix: {e['fix']}")


@click.command("check-invoice")
@url_option
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--syntaxe", type=click.Choice([s.value for s in SyntaxeFlux]), default=None,
              help="syntaxeFlux of every file (default: PDF = Factur-X, XML by its root).")
@click.option("--strict", is_flag=True,
              help="Also the official EN 16931 and BR-FR artefacts (the sandbox's 'strict' "
              "extra).")
@click.option("--compte", metavar="LOGIN", default=None,
              help="The depositing account (checks that it may use the supplier).")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
def check_invoice(url: str | None, files: tuple[Path, ...], syntaxe: str | None, strict: bool,
                  compte: str | None, as_json: bool) -> None:
    """Tell what Chorus Pro would say of invoice FILEs (UBL, CII, Factur-X, zip/tar.gz),
    without depositing them: exit 0 if all would integrate, 1 if one would not, 2 on a
    usage error."""
    client = _client(url)
    verdicts = []
    for path in files:
        try:
            content = path.read_bytes()
        except OSError as problem:
            raise UsageFailure(f"{path}: {problem}") from None
        chosen = syntaxe or guess_syntax(path, content)
        try:
            verdict = client.check_invoice(content, path.name, chosen,
                                           strict=True if strict else None, compte=compte)
        except requests.ConnectionError:
            raise UsageFailure(
                f"no sandbox answers at {client.url} (start one with `make run`, or give --url)"
            ) from None
        except (requests.RequestException, SandboxError) as problem:
            raise UsageFailure(f"{path}: {problem}") from None
        verdicts.append((path, chosen, verdict))
    if as_json:
        click.echo(json.dumps([{"fichier": str(p), "syntaxeFlux": s, **v} for p, s, v in verdicts],
                              ensure_ascii=False, indent=2))
    else:
        for path, chosen, verdict in verdicts:
            _report(path, chosen, verdict)
    if any(v["etatCourantDepotFlux"] != INTEGRATED for _, _, v in verdicts):
        raise SystemExit(1)


COMMANDS = (check_invoice,)
