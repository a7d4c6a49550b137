"""``rechercher`` by raison sociale (issue #13.5): a substring in any case, served by a
trigram index (SQLite FTS5 ``trigram``, PostgreSQL ``pg_trgm``) that follows every write.

Over HTTP on a stack of its own (a reset would wipe what other tests of the session
created), seeded with 30 structures and the permanent recipients ("Destinataire Etat", …).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from api_factories import make_structure
from sqlalchemy import func, insert, select, table, text

from sandbox import db
from sandbox.config import load_settings
from sandbox.cpro.structures import NAME_SEARCH_MAX
from sandbox.models import (
    NAME_SEARCH_FORMER_INDEX,
    NAME_SEARCH_INDEX,
    NAME_SEARCH_TABLE,
    Base,
    Structure,
    drop_name_search,
)
from sandbox.seeding.fixtures import load_fixture
from sandbox.seeding.store import KEPT_TABLES, Truncate
from sandbox.testing.client import SandboxClient
from sandbox.testing.harness import RunningStack, start_stack

SEARCH = "/cpro/structures/v1/rechercher"
SETTINGS = {"seed_structures": "30", "password_hash_method": "scrypt:1024:8:1"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, chorus_sandbox) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("names"), settings=SETTINGS)
    try:
        db.init_engine(running.database_url)
        yield running
    finally:
        running.stop()
        db.init_engine(chorus_sandbox.database_url)


@pytest.fixture(scope="module")
def own(stack) -> SandboxClient:
    return SandboxClient(stack.url, stack.mailpit_url)


def _search(api, name: str, **more) -> dict:
    parametres = more.pop("parametres", {"nbResultatsParPage": 1000})
    answer = api.post(SEARCH, json={"structure": {"raisonSocialeStructure": name, **more},
                                    "parametres": parametres})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["codeRetour"] == 0, body
    return body


def _names(api, name: str, **more) -> list[str]:
    return [s["designationStructure"] for s in _search(api, name, **more)["listeStructures"]]


def test_any_case_anywhere_in_the_name(own):
    api = own.technical_client()
    for typed in ("destinataire etat", "DESTINATAIRE ETAT", "Destinataire Etat", "inataire et",
                  "ETAT"):
        assert "Destinataire Etat" in _names(api, typed), typed
    found = _names(api, "destinataire")
    assert {"Destinataire Etat", "Destinataire sans paramètre"} <= set(found)
    assert all("destinataire" in n.lower() for n in found)
    assert _names(api, "destinataire etax") == []


def test_short_inputs_are_answered_by_a_scan(own):
    api = own.technical_client()
    for typed in ("ta", "TA", "E", "e"):
        found = _names(api, typed)
        assert "Destinataire Etat" in found, typed
        assert all(typed.lower() in n.lower() for n in found), typed
    assert _names(api, "§") == []


@pytest.mark.parametrize("typed", [
    "%", "_", "%%", "a%e", "a_e", "'", "''", "' OR 1=1 --", '"', '""', '"Destinataire',
    "Destinataire*", "*", "NEAR", "OR", "AND", "NOT", "Etat OR Fournisseur",
    "NEAR(Destinataire Etat)", "raison_sociale:Etat", "^Dest", "(", ")", "-", "+", ":", "\\",
    "{Etat}", "x\x00y", "\x00",
])
def test_hostile_input_is_literal_text(own, typed):
    answer = own.technical_client().post(SEARCH, json={
        "structure": {"raisonSocialeStructure": typed},
        "parametres": {"nbResultatsParPage": 1000}})
    assert answer.status_code < 500, answer.text
    if answer.status_code == 200 and answer.json()["codeRetour"] == 0:
        found = [s["designationStructure"] for s in answer.json()["listeStructures"]]
        assert all(typed.lower() in n.lower() for n in found), (typed, found)
        assert answer.json()["parametresRetour"]["total"] == len(found)


def test_signup_rename_and_reset_show_at_once(own, stack, tmp_path):
    marker = uuid.uuid4().hex[:8].upper()
    account = own.signup(raison_sociale=f"Atelier Quibble {marker} SARL")
    api = own.technical_client(account)
    assert _names(api, f"quibble {marker.lower()}") == [f"Atelier Quibble {marker} SARL"]

    fixture = tmp_path / "rename.yaml"
    fixture.write_text(
        "description: Renomme une structure\nstructures:\n"
        f"  - identifiant: \"{account.identifiant}\"\n"
        f"    raison_sociale: Forge Zephyr {marker}\n"
        "    adresse: 1 rue de la Paix\n    code_postal: \"75002\"\n    ville: Paris\n",
        encoding="utf-8")
    report = load_fixture(fixture, settings=load_settings().replace(
        database_url=stack.database_url))
    assert report["updated"] == 1
    assert _names(api, f"quibble {marker}") == []
    assert _names(api, f"ZEPHYR {marker}") == [f"Forge Zephyr {marker}"]
    assert _names(api, f"zephyr {marker}", typeStructure="PRIVEE") == [f"Forge Zephyr {marker}"]
    assert _names(api, f"zephyr {marker}", typeStructure="PUBLIQUE") == []
    # A private structure: not found by those who are not attached to it.
    assert _names(own.technical_client(), f"zephyr {marker}") == []

    own.reset()
    seeded = own.technical_client()
    assert _names(seeded, f"zephyr {marker}") == []
    assert _names(seeded, f"quibble {marker}") == []
    assert "Destinataire Etat" in _names(seeded, "destinataire etat")


def test_paging_and_total_agree(own):
    api = own.technical_client()
    marker = uuid.uuid4().hex[:8].upper()
    with db.new_session() as s:
        made = sorted(make_structure(s, type_structure="PUBLIQUE",
                                     raison_sociale=f"Mairie {marker} {i:02d}").id
                      for i in range(23))
        s.commit()
    first = _search(api, marker.lower(), parametres={"pageResultatDemandee": 1})
    assert first["parametresRetour"] == {"pageCourante": 1, "pages": 3,
                                         "nbResultatsParPage": 10, "total": 23}
    seen = [s["idStructureCPP"]
            for page in (1, 2, 3)
            for s in _search(api, f"IE {marker}",
                             parametres={"pageResultatDemandee": page})["listeStructures"]]
    assert seen == made  # id order, no overlap, nothing missed
    beyond = _search(api, marker, parametres={"pageResultatDemandee": 4})
    assert beyond["listeStructures"] == [] and beyond["parametresRetour"]["total"] == 23
    by_name = _search(api, marker, parametres={"triColonne": "DesignationStructure",
                                               "triSens": "Descendant", "nbResultatsParPage": 5})
    assert [s["designationStructure"] for s in by_name["listeStructures"]] == [
        f"Mairie {marker} {i:02d}" for i in (22, 21, 20, 19, 18)]
    assert by_name["parametresRetour"]["total"] == 23
    # The count (a full first page) agrees with the rows, the caller's private ones included.
    assert "Démo Fournisseur SAS" in _names(api, "fournisseur")  # private, the caller's own
    for typed in ("fournisseur", "destinataire", "commune", marker):
        every = _search(api, typed)
        counted = _search(api, typed, parametres={"nbResultatsParPage": 1})
        assert counted["parametresRetour"]["total"] == len(every["listeStructures"]), typed


def test_total_and_paging_stop_at_the_bound(own):
    api = own.technical_client()
    marker = uuid.uuid4().hex[:8].upper()
    now = datetime(2026, 1, 1)
    with db.transaction() as s:
        s.execute(insert(Structure), [
            {"type_identifiant": "SIRET", "identifiant": f"{marker}{i:06d}",
             "type_structure": "PUBLIQUE", "statut": "ACTIF",
             "raison_sociale": f"Commune {marker} {i:06d}", "created_at": now, "updated_at": now}
            for i in range(NAME_SEARCH_MAX + 5)])
    first = _search(api, marker, parametres={"nbResultatsParPage": 10})
    assert first["parametresRetour"] == {"pageCourante": 1, "pages": NAME_SEARCH_MAX // 10,
                                         "nbResultatsParPage": 10, "total": NAME_SEARCH_MAX}
    last = _search(api, marker, parametres={"nbResultatsParPage": 10,
                                            "pageResultatDemandee": NAME_SEARCH_MAX // 10})
    assert len(last["listeStructures"]) == 10
    past = _search(api, marker, parametres={"nbResultatsParPage": 10,
                                            "pageResultatDemandee": NAME_SEARCH_MAX // 10 + 1})
    assert past["listeStructures"] == []
    assert past["parametresRetour"]["total"] == NAME_SEARCH_MAX
    everything = _search(api, marker.lower(), parametres={"nbResultatsParPage": 5000})
    assert len(everything["listeStructures"]) == NAME_SEARCH_MAX
    assert everything["parametresRetour"]["total"] == NAME_SEARCH_MAX
    with db.transaction() as s:
        s.execute(Structure.__table__.delete().where(Structure.identifiant.like(f"{marker}%")))
    assert _search(api, marker)["parametresRetour"]["total"] == 0


# PostgreSQL before issue 24.5: a GIN index on ``structures`` itself, no side table.
_FORMER_POSTGRESQL_LAYOUT = [text(statement) for statement in (
    f"DROP TRIGGER {NAME_SEARCH_TABLE} ON structures",
    f"DROP TRIGGER {NAME_SEARCH_TABLE}_truncate ON structures",
    f"DROP TABLE {NAME_SEARCH_TABLE}",
    f"CREATE INDEX {NAME_SEARCH_FORMER_INDEX} ON structures "
    "USING gin (lower(raison_sociale) gin_trgm_ops)",
)]
_POSTGRESQL_INDEX_PRESENT = text("SELECT count(*) FROM pg_indexes WHERE indexname = :name")
# PostgreSQL: the side table's rows that are not exactly those of ``structures``, both ways.
_POSTGRESQL_SIDE_TABLE_DRIFT = text(
    f"SELECT count(*) FROM ((SELECT rowid, raison_sociale, type_structure FROM {NAME_SEARCH_TABLE} "
    "EXCEPT SELECT id, lower(raison_sociale), type_structure FROM structures) UNION ALL "
    "(SELECT id, lower(raison_sociale), type_structure FROM structures "
    f"EXCEPT SELECT rowid, raison_sociale, type_structure FROM {NAME_SEARCH_TABLE})) AS drift")


def test_an_older_database_gains_the_index_on_start(tmp_path, stack):
    """A database created before the index (SQLite: no FTS table, no triggers; PostgreSQL:
    the former GIN index on ``structures``, no side table) gets it, filled from the rows
    already there, when the sandbox starts."""
    older = start_stack(tmp_path / "older", settings=SETTINGS)
    try:
        db.init_engine(older.database_url)
        with db.transaction() as s:
            if s.get_bind().dialect.name == "sqlite":
                drop_name_search(s.connection())
            else:
                for statement in _FORMER_POSTGRESQL_LAYOUT:
                    s.execute(statement)
            s.execute(Structure.__table__.update().where(
                Structure.raison_sociale == "Destinataire Etat").values(
                raison_sociale="Destinataire Etat renommé"))
        older.restart_server()
        api = SandboxClient(older.url, older.mailpit_url).technical_client()
        assert _names(api, "etat renomm") == ["Destinataire Etat renommé"]
        with db.new_session() as s:
            indexed = s.scalar(select(func.count()).select_from(table(NAME_SEARCH_TABLE)))
            assert indexed == s.scalar(select(func.count()).select_from(Structure))
            if s.get_bind().dialect.name == "postgresql":
                assert s.scalar(_POSTGRESQL_SIDE_TABLE_DRIFT) == 0
                assert s.scalar(_POSTGRESQL_INDEX_PRESENT, {"name": NAME_SEARCH_INDEX}) == 1
                assert s.scalar(_POSTGRESQL_INDEX_PRESENT,
                                {"name": NAME_SEARCH_FORMER_INDEX}) == 0
    finally:
        older.stop()
        db.init_engine(stack.database_url)  # the module's stack, as the other tests expect


def _reference(name: str, type_structure: str | None, by_name: bool = False) -> list[int]:
    """The ids of every structure whose name holds ``name`` (any case, anywhere), whoever
    asks (``restreindreStructuresPrivees`` false), read from ``structures`` itself in id
    order, or by name descending (the database's collation) then id descending."""
    order = (Structure.raison_sociale.desc(), Structure.id.desc()) if by_name else (
        Structure.id,)
    with db.new_session() as s:
        rows = s.execute(select(Structure.id, Structure.raison_sociale,
                                Structure.type_structure).order_by(*order)).all()
    return [r.id for r in rows if r.raison_sociale is not None
            and name.lower() in r.raison_sociale.lower()
            and type_structure in (None, r.type_structure)]


def _named(ids: set[int]) -> list:
    with db.new_session() as s:
        return s.execute(select(Structure.id, Structure.raison_sociale, Structure.type_structure)
                         .where(Structure.id.in_(ids))).all()


def _everyone(api, name: str, criteria: dict, parametres: dict) -> dict:
    answer = api.post(SEARCH, json={"structure": {"raisonSocialeStructure": name, **criteria},
                                    "restreindreStructuresPrivees": False,
                                    "parametres": parametres})
    assert answer.status_code == 200 and answer.json()["codeRetour"] == 0, answer.text
    return answer.json()


@pytest.mark.parametrize("typed", ["destinataire", "ETAT", "ta", "e", "fournisseur", "zzq"])
@pytest.mark.parametrize("type_structure", [None, "PUBLIQUE", "PRIVEE"])
def test_every_structure_matching_in_order_with_its_total(own, typed, type_structure):
    """Each page and the total are those of the matching rows of ``structures`` read
    directly, in id order, page after page (on PostgreSQL through the side table, on SQLite
    through the FTS tables, or a LIKE below 3 letters)."""
    api = own.technical_client()
    criteria = {"typeStructure": type_structure} if type_structure else {}
    expected = _reference(typed, type_structure)
    for size in (1, 4, 1000):
        seen: list[int] = []
        for page in range(1, len(expected) // size + 2):
            body = _everyone(api, typed, criteria, {"nbResultatsParPage": size,
                                                    "pageResultatDemandee": page})
            seen += [s["idStructureCPP"] for s in body["listeStructures"]]
            assert body["parametresRetour"]["total"] == len(expected), (typed, size, page)
        assert seen == expected, (typed, size, _named(set(seen) ^ set(expected)))
    if type_structure is None:  # another order: by designation, descending
        body = _everyone(api, typed, {}, {"nbResultatsParPage": 1000,
                                          "triColonne": "DesignationStructure",
                                          "triSens": "Descendant"})
        assert [s["idStructureCPP"] for s in body["listeStructures"]] == _reference(
            typed, None, by_name=True)


def test_the_postgresql_side_table_follows_every_write(own, stack):
    """PostgreSQL: after the writes of the other tests (signups, renames, bulk inserts,
    deletes, a reset), the side table holds exactly each structure's id, lower-case name
    and type; a TRUNCATE of ``structures`` (a reset above 1,000 structures) empties it in
    the same transaction, and rolling back brings both back."""
    with db.new_session() as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("the side table is PostgreSQL's; SQLite's FTS tables are tested above")
        assert s.scalar(_POSTGRESQL_SIDE_TABLE_DRIFT) == 0
        rows = s.scalar(select(func.count()).select_from(Structure))
        assert rows and s.scalar(select(func.count()).select_from(table(NAME_SEARCH_TABLE))) == rows
        tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
        s.execute(Truncate(tables))
        assert s.scalar(select(func.count()).select_from(table(NAME_SEARCH_TABLE))) == 0
        s.rollback()
        assert s.scalar(select(func.count()).select_from(table(NAME_SEARCH_TABLE))) == rows
        assert s.scalar(_POSTGRESQL_SIDE_TABLE_DRIFT) == 0
