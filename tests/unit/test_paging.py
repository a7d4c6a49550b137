"""Paging and sorting of the /cpro searches (sandbox/cpro/paging.py), in-process on a real
SQLite database: every page size pages through the rows once each, in order, with the
``parametresRetour`` the API answers; a sort key with ties stays stable (the id breaks
them); a bounded search stops at its bound. The zero rule is tests/unit/test_zero_rule.py.

The HTTP suites (tests/test_api_structures.py...) keep the requests' validation and the
answers' shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from api_factories import make_structure, tag
from sqlalchemy import select

from sandbox import db
from sandbox.cpro.paging import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    STRUCTURES,
    count_of,
    empty_page,
    ordered_page,
    page_request,
    paged,
    parametres_retour,
    run_prepared,
)
from sandbox.models import Structure
from sandbox.vocabulary import TriSens

COUNT = 23
NAMES = ("Bleu", "Azur", "Cyan")  # ties: the sort key alone cannot order the rows


@dataclass
class Page:
    """The paging parameters of a request (what ``PageParams`` reads)."""

    pageResultatDemandee: int | None = None
    nbResultatsParPage: int | None = None
    triSens: TriSens | None = None
    triColonne: str | None = None


@pytest.fixture(scope="module")
def rows(module_database) -> tuple[str, list[tuple[int, str]]]:
    """COUNT structures of one town: the town and their (id, raison sociale)."""
    town = tag()
    with db.new_session() as s:
        made = [make_structure(s, ville=town, raison_sociale=NAMES[i % 3]) for i in range(COUNT)]
        s.commit()
        return town, [(x.id, x.raison_sociale) for x in made]


def search(town: str):
    return select(Structure.id, Structure.raison_sociale).where(Structure.ville == town)


def test_the_defaults_are_page_1_of_10_ascending():
    assert page_request(None) == (1, DEFAULT_PAGE_SIZE, False)
    assert page_request(Page()) == (1, DEFAULT_PAGE_SIZE, False)
    assert page_request(Page(3, 5, TriSens.DESCENDANT)) == (3, 5, True)
    assert empty_page(Page(2, 7)) == ([], parametres_retour(2, 7, 0))
    assert parametres_retour(2, 7, 0) == {
        "pageCourante": 2, "pages": 0, "nbResultatsParPage": 7, "total": 0}


@pytest.mark.parametrize("size", [1, 2, 5, 10, COUNT - 1, COUNT, COUNT + 1, 100])
@pytest.mark.parametrize("sens", [TriSens.ASCENDANT, TriSens.DESCENDANT])
@pytest.mark.parametrize("colonne", [None, "DesignationStructure"])
def test_the_pages_hold_every_row_once_in_order(rules_session, rows, size, sens, colonne):
    town, made = rows
    descending = sens == TriSens.DESCENDANT
    if colonne is None:
        expected = sorted(made, reverse=descending)
    else:  # by name, then by id, both in the asked direction
        expected = sorted(made, key=lambda r: (r[1], r[0]), reverse=descending)
    pages = math.ceil(COUNT / size)
    seen = []
    for number in range(1, pages + 2):  # one page past the last
        found, retour = paged(rules_session, search(town), Page(number, size, sens, colonne),
                              STRUCTURES)
        assert retour == parametres_retour(number, size, COUNT) == {
            "pageCourante": number, "pages": pages, "nbResultatsParPage": size, "total": COUNT}
        assert len(found) == (0 if number > pages else min(size, COUNT - (number - 1) * size))
        seen += [tuple(r) for r in found]
    assert seen == expected


def test_a_search_without_match_has_no_page(rules_session):
    found, retour = paged(rules_session, search("no-such-town"), Page(), STRUCTURES)
    assert (list(found), retour["total"], retour["pages"]) == ([], 0, 0)


def test_a_page_past_any_offset_is_empty_but_counted(rules_session, rows):
    town, _ = rows
    huge = MAX_OFFSET // 10 + 2  # its offset is past MAX_OFFSET
    found, retour = paged(rules_session, search(town), Page(huge, 10), STRUCTURES)
    assert (list(found), retour["total"], retour["pageCourante"]) == ([], COUNT, huge)


@pytest.mark.parametrize("bound", [1, 7, COUNT, COUNT + 5])
def test_a_bounded_search_pages_through_its_first_matches_only(rules_session, rows, bound):
    town, made = rows
    stmt = ordered_page(search(town), STRUCTURES.order(None), False)
    counted = count_of(search(town), bound)
    seen = []
    for number in range(1, COUNT + 2):
        found, retour = run_prepared(rules_session, stmt, counted, {}, Page(number, 5),
                                     bound=bound)
        assert retour["total"] == min(bound, COUNT)
        seen += [tuple(r) for r in found]
    assert seen == sorted(made)[:bound]
