"""docs/factures-rules.md is the rules table of ``sandbox/factures/rules/table.py``,
rendered: it cannot drift from the code (issue #20.1)."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.factures.rules import table

DOC = Path(__file__).resolve().parent.parent / "docs" / "factures-rules.md"
SOURCES = [Path(__file__).resolve().parent.parent / "sandbox" / "factures" / p for p in (
    "rules/checks.py", "rules/deposit.py", "formats/model.py", "formats/containers.py",
    "rules/flux.py", "formats/schematron.py", "formats/__init__.py")]


def test_the_doc_is_the_table_rendered():
    assert DOC.read_text(encoding="utf-8") == table.markdown(), (
        "docs/factures-rules.md is stale: python -m sandbox.factures.rules.table "
        "> docs/factures-rules.md"
    )


def test_every_rule_has_its_evidence_and_every_applied_one_its_explanation():
    for rule in table.RULES:
        assert rule.evidence and rule.confidence and rule.label, rule.id
        if rule.applied:
            assert rule.why and rule.fix and rule.pourquoi and rule.correction, rule.id
            assert rule.groups, rule.id


def test_every_applied_management_rule_is_cited_by_a_check():
    code = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)
    cited = set(re.findall(r'"((?:GES|TEC|STR)-[\w-]+)"', code))
    applied = {r.id for r in table.RULES if r.applied and r.layer != table.ENVELOPE}
    assert applied - cited == set(), "a rule of the table that no check cites"
    assert cited - set(table.BY_ID) == set(), "a check citing a rule the table lacks"
