"""The rule table (sandbox/factures/rules/table.py) and the rules of checks.py that need no
file, in-process: the table is whole and coherent (iterating over ``RULES``), every rule
the code cites is in it, and the service/EJ rules (GES-06..11) give, on a real SQLite
database, what their table below says for each recipient and service.

The HTTP suites (tests/test_factures_deposit.py, tests/test_factures_soumettre.py...) keep
the CR and the answers as a client reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from api_factories import make_engagement, make_service, make_structure
from sqlalchemy.orm import Session

from sandbox import db
from sandbox.factures.formats.model import Value
from sandbox.factures.rules.checks import Checked, service_rules
from sandbox.factures.rules.table import (
    ENVELOPE,
    GROUPS,
    MANAGEMENT,
    NUMERO,
    RULES,
    STRICT,
    TECHNICAL,
    rule,
)
from sandbox.models import Structure
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, SyntaxeFlux

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"
RULE_ID = re.compile(r"""["']((?:ENV|TEC|GES|STR|NS)-[A-Za-z0-9.\-]+)["']""")
APPLIED = [pytest.param(r, id=r.id) for r in RULES if r.applied]


def code_outside_the_table() -> str:
    return "\n".join(p.read_text() for p in SANDBOX.rglob("*.py")
                     if p != SANDBOX / "factures" / "rules" / "table.py")


def test_every_rule_has_one_id_and_known_groups_and_layer():
    assert len({r.id for r in RULES}) == len(RULES)
    for r in RULES:
        assert r.layer in (ENVELOPE, TECHNICAL, MANAGEMENT, STRICT), r.id
        assert r.groups and set(r.groups) <= {*GROUPS, "S"}, r.id
        assert rule(r.id) is r
    with pytest.raises(KeyError):
        rule("GES-99")


def test_each_syntax_is_in_exactly_one_group():
    for syntaxe in SyntaxeFlux:
        assert sum(syntaxe in members for members in GROUPS.values()) == 1, syntaxe
    for members in GROUPS.values():
        assert set(members) <= set(SyntaxeFlux)


@pytest.mark.parametrize("r", APPLIED)
def test_an_applied_rule_says_where_it_leads_and_explains_itself(r):
    if r.layer != ENVELOPE:  # the envelope answers at once; the others end the flux
        assert r.state in ETATS_FLUX_TERMINAUX, r.state
    for text in (r.what, r.label, r.why, r.fix, r.pourquoi, r.correction):
        assert text.strip()
    if "S" in r.groups:
        assert r.soumettre, "a rule soumettre applies says how soumettre answers it"


def test_every_rule_the_code_cites_is_in_the_table_and_every_check_is_cited():
    code = code_outside_the_table()
    cited = set(RULE_ID.findall(code))
    assert cited, "the pattern finds the checks' citations"
    assert cited <= {r.id for r in RULES}
    for r in RULES:
        if r.applied and r.layer != ENVELOPE:  # the envelope's checks answer a 400/204xx
            assert r.id in code, f"{r.id} is applied, but no check cites it"


@pytest.mark.parametrize("r", [p for p in APPLIED if p.values[0].layer == MANAGEMENT])
def test_a_failed_management_rule_fills_its_label_in_the_platforms_style(r):
    c = Checked()
    c.fail(r.id, Value("X-1", "SupplyChainTradeTransaction.Element"),
           destinataire="12345678900011", ej="EJ", service="SERVICE", code="SF", indice="")
    finding = c.findings[-1]
    assert finding.rule == r.id
    assert "{" not in finding.libelle and "}" not in finding.libelle
    if "{element}" in r.label:  # the attested libellés name the element this way
        assert "FichierXml.SupplyChainTradeTransaction.Element.value" in finding.libelle
    if "{balise}" in r.label:
        assert "(balise : SupplyChainTradeTransaction.Element.value)" in finding.libelle


@pytest.mark.parametrize(("numero", "valid"), [
    ("F2026-001", True), ("A/B+C_D-1", True), ("X" * 20, True), ("1", True),
    ("", False), ("X" * 21, False), ("F 1", False), ("F.1", False), ("FACTURE#1", False),
    ("é1", False),
])
def test_an_invoice_number_is_1_to_20_letters_digits_and_four_signs(numero, valid):
    assert bool(NUMERO.fullmatch(numero)) is valid


# --- GES-06..11, 19: the recipient's flags, the service's, what the invoice gives --------

# flags: c = code service mandatory, e = EJ mandatory, x = an EJ or a service code.
# EJ1 is one of the recipient's legal commitments, EJ9 is not (GES-19: checked only where the
# recipient manages EJs: e, x, or a service requiring one).
SERVICES = {"ACTIF": {}, "EJREQ": {"numero_engagement": True}, "FERME": {"est_actif": False},
            "FERME_EJ": {"numero_engagement": True, "est_actif": False}}
CASES = [
    ("", None, None, None, []),
    ("c", None, None, None, ["GES-06"]),
    ("c", "ACTIF", "EJ1", "ACTIF", []),
    ("e", None, None, None, ["GES-07"]),
    ("e", "ACTIF", None, "ACTIF", ["GES-07"]),
    ("x", None, None, None, ["GES-08"]),
    ("x", None, "EJ1", None, []),
    ("x", "ACTIF", None, "ACTIF", []),
    ("cex", None, None, None, ["GES-06", "GES-07", "GES-08"]),
    ("", "INCONNU", "EJ1", None, ["GES-09"]),
    ("e", "INCONNU", None, None, ["GES-07", "GES-09"]),
    ("", "EJREQ", None, "EJREQ", ["GES-10"]),
    ("", "EJREQ", "EJ1", "EJREQ", []),
    ("", "FERME", "EJ1", None, ["GES-11"]),
    ("", "FERME_EJ", None, None, ["GES-10", "GES-11"]),
    ("", "ACTIF", None, "ACTIF", []),
    ("e", None, "EJ9", None, ["GES-19"]),
    ("x", None, "EJ9", None, ["GES-19"]),
    ("", "EJREQ", "EJ9", "EJREQ", ["GES-19"]),
    ("c", "ACTIF", "EJ9", "ACTIF", []),  # no EJ management: any order reference
    ("", "INCONNU", "EJ9", None, ["GES-09"]),
]


@pytest.fixture(scope="module")
def recipient(module_database) -> tuple[int, dict[str, str]]:
    """A recipient with one service of each kind: its id and {kind: service code}."""
    with db.new_session() as s:
        structure = make_structure(s, type_structure="PUBLIQUE")
        codes = {kind: make_service(s, structure, **fields).code
                 for kind, fields in SERVICES.items()}
        make_engagement(s, structure, numero="EJ1")
        s.commit()
        return structure.id, codes


@pytest.mark.parametrize(("flags", "service", "ej", "usable", "failed"), CASES)
def test_the_service_and_ej_rules(rules_session: Session, recipient, flags, service, ej,
                                  usable, failed):
    structure_id, codes = recipient
    structure = rules_session.get(Structure, structure_id)
    structure.code_service_doit_etre_renseigne = "c" in flags
    structure.numero_ej_doit_etre_renseigne = "e" in flags
    structure.gestion_numero_ej_ou_code_service = "x" in flags
    code = codes.get(service, service)  # "INCONNU": no service of the recipient
    found, rules = service_rules(rules_session, structure, code, ej)
    assert rules == failed
    assert (found.code if found is not None else None) == codes.get(usable)
    for rule_id in rules:  # soumettre answers them too: the table says how
        assert "S" in rule(rule_id).groups and rule(rule_id).soumettre
    # SANDBOX_FACTURES_EJ_CHECK off: the same without GES-19
    _, unchecked = service_rules(rules_session, structure, code, ej, check_ej=False)
    assert unchecked == [r for r in failed if r != "GES-19"]
