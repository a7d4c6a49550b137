"""``structures/v1/rechercher`` and ``restreindreStructuresPrivees`` (issue #21.5): absent,
null, blank or true → the public structures and the caller's attached private ones;
false → public and private structures that match (the specification Pastell quotes,
factures-rules-and-apis-reference.md §7). Every search path is tried: by identifier, by
raison sociale (the trigram index), by type, none."""

from __future__ import annotations

import pytest
from api_factories import tech_client

STRUCTURES = "/cpro/structures/v1/rechercher"
RESTRICTED: list[object] = ["absent", None, True, ""]


def search(api, structure: dict, restreindre: object = "absent") -> dict:
    body: dict = {"structure": structure, "parametres": {"nbResultatsParPage": 100}}
    if restreindre != "absent":
        body["restreindreStructuresPrivees"] = restreindre
    answer = api.call(STRUCTURES, body)
    assert answer["codeRetour"] == 0, answer
    return answer


def ids(answer: dict) -> set[int]:
    return {s["idStructureCPP"] for s in answer["listeStructures"]}


@pytest.fixture(scope="module")
def api(base_url, world):
    return tech_client(base_url, world)


@pytest.mark.parametrize("restreindre", RESTRICTED)
def test_restricted_a_foreign_private_structure_is_not_found(api, world, restreindre):
    answer = search(api, {"identifiantStructure": world.foreign.identifiant}, restreindre)
    assert answer["parametresRetour"]["total"] == 0
    # the caller's own private structure and a public one are
    assert ids(search(api, {"identifiantStructure": world.own.identifiant}, restreindre)) == {
        world.own.id}
    assert ids(search(api, {"identifiantStructure": world.public.identifiant},
                      restreindre)) == {world.public.id}


def test_facturation_electronique_resolves_a_private_supplier_by_siret(api, world):
    """facturation_electronique's body (obtenir_identifiant_cpro_depuis_siret): false, by
    SIRET; it keeps the id only when total == 1."""
    answer = api.call(STRUCTURES, {"restreindreStructuresPrivees": False, "structure": {
        "identifiantStructure": world.foreign.identifiant, "typeIdentifiantStructure": "SIRET"}})
    assert answer["parametresRetour"]["total"] == 1
    assert answer["listeStructures"][0]["idStructureCPP"] == world.foreign.id


def test_false_opens_every_search_path(api, world):
    name = f"Etranger {world.tag}"  # the foreign structure's raison sociale
    assert world.foreign.id not in ids(search(api, {"raisonSocialeStructure": name}))
    assert world.foreign.id in ids(search(api, {"raisonSocialeStructure": name}, False))
    short = search(api, {"raisonSocialeStructure": name, "typeStructure": "PRIVEE"}, False)
    assert ids(short) == {world.foreign.id}
    private = search(api, {"typeStructure": "PRIVEE",
                           "identifiantStructure": world.foreign.identifiant}, False)
    assert ids(private) == {world.foreign.id}
    assert ids(search(api, {"typeStructure": "PUBLIQUE",
                            "identifiantStructure": world.foreign.identifiant}, False)) == set()


def test_false_still_lets_consulter_refuse_a_foreign_private_structure(api, world):
    """Finding a structure is not reading it: consulter keeps its rule (20101)."""
    answer = api.call("/cpro/structures/v1/consulter", {"idStructureCPP": world.foreign.id})
    assert answer["codeRetour"] == 20101
