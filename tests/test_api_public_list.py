"""The public-structures list's ``total`` over HTTP (issue 24.5): served from a tally kept by
triggers in the same transaction as each write to ``structures``, it must stay exact for
clients that page through every public structure (docs/decisions.md)."""

from __future__ import annotations

import pytest
from api_factories import ApiClient, make_structure, tech_client
from sqlalchemy import func, select

from sandbox import db
from sandbox.models import Structure

S = "/cpro/structures/v1"


@pytest.fixture
def tech(base_url, world) -> ApiClient:
    return tech_client(base_url, world)


def _total(api: ApiClient, **criteria) -> int:
    # One result per page: the page is full, so the answer's total is the count, not the
    # page's length.
    answer = api.call(f"{S}/rechercher", {"structure": criteria,
                                          "parametres": {"nbResultatsParPage": 1}})
    assert answer["codeRetour"] == 0
    return answer["parametresRetour"]["total"]


def _public_rows() -> int:
    with db.new_session() as s:
        return s.scalar(select(func.count()).select_from(Structure).where(
            Structure.type_structure == "PUBLIQUE")) or 0


def test_public_list_total_is_every_public_structure(tech, world):
    total = _total(tech, typeStructure="PUBLIQUE")
    assert total == _public_rows()
    # Without a type: the public structures and the caller's private ones (two).
    assert _total(tech) == total + 2


def test_public_list_total_follows_each_write(tech, world):
    before = _total(tech, typeStructure="PUBLIQUE")
    with db.new_session() as s:
        added = [make_structure(s, type_structure="PUBLIQUE") for _ in range(3)]
        make_structure(s, type_structure="PRIVEE")  # not public: not counted
        s.commit()
        ids = [a.id for a in added]
    assert _total(tech, typeStructure="PUBLIQUE") == before + 3
    assert _total(tech) == before + 3 + 2

    with db.new_session() as s:  # a public structure turned private leaves the list
        s.get(Structure, ids[0]).type_structure = "PRIVEE"
        s.commit()
    assert _total(tech, typeStructure="PUBLIQUE") == before + 2

    with db.new_session() as s:  # a rolled-back insert never counts
        make_structure(s, type_structure="PUBLIQUE")
        s.flush()
        s.rollback()
    assert _total(tech, typeStructure="PUBLIQUE") == before + 2 == _public_rows()


def test_the_last_page_of_the_public_list_is_reached_by_its_total(tech, world):
    """A client pages through the list with ``pages``: the last page holds the last public
    structure (the highest id), and the page after it is empty."""
    size = 100
    first = tech.call(f"{S}/rechercher", {"structure": {"typeStructure": "PUBLIQUE"},
                                          "parametres": {"nbResultatsParPage": size}})
    pages = first["parametresRetour"]["pages"]
    last = tech.call(f"{S}/rechercher", {"structure": {"typeStructure": "PUBLIQUE"},
                                         "parametres": {"nbResultatsParPage": size,
                                                        "pageResultatDemandee": pages}})
    with db.new_session() as s:
        highest = s.scalar(select(func.max(Structure.id)).where(
            Structure.type_structure == "PUBLIQUE"))
    assert last["listeStructures"][-1]["idStructureCPP"] == highest
    after = tech.call(f"{S}/rechercher", {"structure": {"typeStructure": "PUBLIQUE"},
                                          "parametres": {"nbResultatsParPage": size,
                                                         "pageResultatDemandee": pages + 1}})
    assert after["listeStructures"] == []
