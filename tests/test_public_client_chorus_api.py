"""The PyPI client ``chorus-api`` (1.0.6, package ``chorusapi``), unmodified, against the
session stack: token, structures, ``deposer/flux`` of every example file of
``fixtures/factures`` (its ``manifest.json`` says what each one must give), the sandbox
clock moved past the integration delay, ``consulterCR``/``consulterCRDetaille`` polled
through the client until the flux is terminal, the invoices found with
``rechercher/fournisseur``. Every assertion is on the client's own response objects.

How it is pointed at the sandbox: ``ChorusAPI(...)`` takes the credentials; its hosts are
the plain instance attributes ``auth_url`` and ``api_url`` that ``API.__init__`` sets from
``sandbox=True`` and every method reads at call time, so the test sets them after
construction. Nothing of the package is patched.

chorus-api has no ``consulter/historique`` (nor ``consulter/fournisseur``): the history is
read with the plugin's ``technical_client()`` and said so. The module starts from the
seeded baseline (the example files' invoice numbers are fixed: a second deposit is a
duplicate) and puts it back at the end.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from chorusapi.client import ChorusAPI
from chorusapi.exceptions.exception import ChorusApiException
from chorusapi.responses.api_response import (
    ConsulterCrDetailleResponse,
    RechercheFactureResponse,
)
from chorusapi.utils.chorus_utils import base_64_encode_file

from sandbox.stack import wait_until
from sandbox.testing.client import SandboxClient
from sandbox.vocabulary import ETATS_FLUX_TERMINAUX, StatutFacture

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "factures"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
CASES = {case["cas"]: case for case in MANIFEST["cas"]}


@pytest.fixture(scope="module")
def chorus_module(chorus_sandbox) -> Iterator[SandboxClient]:  # noqa: ANN001
    """The control plane, the sandbox at its seeded baseline before and after the module."""
    control = SandboxClient(chorus_sandbox.url, chorus_sandbox.mailpit_url)
    control.reset()
    try:
        yield control
    finally:
        control.reset()


@pytest.fixture(scope="module")
def chorus_api(chorus_module, chorus_credentials) -> ChorusAPI:  # noqa: ANN001
    """The unmodified client, its two hosts pointed at the sandbox, authenticated."""
    creds = chorus_credentials
    client = ChorusAPI(
        client_id=creds["oauth_client"]["client_id"],
        client_secret=creds["oauth_client"]["client_secret"],
        tech_username=creds["technical_account"]["login"],
        tech_password=creds["technical_account"]["password"],
        sandbox=True,
    )
    client.auth_url = f"{chorus_module.url}/api/oauth/token"
    client.api_url = chorus_module.url
    return client.auth()


def poll_cr(client: ChorusAPI, numero: str) -> ConsulterCrDetailleResponse:
    """``consulter_cr_detaille`` until the flux is terminal (the client's own object)."""
    seen: list[ConsulterCrDetailleResponse] = []

    def terminal() -> bool:
        seen.append(client.consulter_cr_detaille(numero))
        return seen[-1].etat_courant_depot_flux in ETATS_FLUX_TERMINAUX

    wait_until(terminal, 60, f"flux {numero} integrated or rejected", interval=0.2)
    return seen[-1]


@pytest.fixture(scope="module")
def outcomes(chorus_module, chorus_api) -> dict[str, tuple]:  # noqa: ANN001
    """Deposit every example through chorus-api (a duplicate once its original is
    integrated), move the sandbox clock, poll the CR: case -> (deposit, CR)."""
    delay = f"{chorus_module.factures_delay() + 1:g}s"
    done: dict[str, tuple] = {}
    for phase in (False, True):
        batch = [c for c in MANIFEST["cas"] if (c["deposerApres"] is not None) == phase]
        deposits = {
            c["cas"]: chorus_api.deposer_flux(
                fichier_flux=base_64_encode_file(str(FIXTURES / c["fichier"])),
                file_name=c["fichier"],
                syntaxe_flux=c["syntaxeFlux"],
            )
            for c in batch
        }
        chorus_module.set_clock(advance=delay)
        for name, answer in deposits.items():
            done[name] = (answer, poll_cr(chorus_api, answer.numero_flux_depot))
    return done


def test_token_and_structures(chorus_api, chorus_credentials):  # noqa: ANN001
    assert chorus_api.get_token()
    siret = MANIFEST["fournisseur"]
    assert chorus_credentials["technical_account"]["login"] == f"TECH_1_{siret}@cpro.fr"
    found = chorus_api.rechercher_structure(siret)
    assert found.code_retour == 0, found.libelle
    [structure] = found.liste_structures
    assert (structure.identifiant_structure, structure.type_identifiant_structure) == (
        siret, "SIRET")
    services = chorus_api.rechercher_services(structure.id_structure_cpp)
    assert services.code_retour == 0 and services.liste_structures  # sic: its services list
    assert all(s.code_service and s.id_service for s in services.liste_structures)
    detail = chorus_api.consulter_structure(structure.id_structure_cpp)
    assert detail.code_retour == 0, detail.libelle
    assert detail.information_generales.id_structure_cpp == structure.id_structure_cpp
    assert detail.information_generales.identifiant_structure == siret
    assert detail.information_generales.raison_sociale_structure
    health = chorus_api.health_check()
    assert health.status_code == "OK", vars(health)


@pytest.mark.parametrize("name", list(CASES))
def test_each_example_reaches_its_state(name, outcomes, chorus_api):  # noqa: ANN001
    case = CASES[name]
    answer, cr = outcomes[name]
    assert answer.code_retour == 0 and answer.libelle == "GCU_MSG_01_000", vars(answer)
    assert answer.syntaxe_flux == case["syntaxeFlux"] and answer.date_depot
    assert cr.code_retour == 0, cr.libelle
    assert cr.etat_courant_depot_flux == case["etatAttendu"], vars(cr)
    assert cr.nomFichier.endswith(f"_{answer.numero_flux_depot}")  # the platform's name
    texts = [e.libelle_erreur_dP for e in cr.liste_erreur_dp]
    texts += [e.libelle_erreur for e in cr.liste_erreur_technique]
    if case["erreurAttendue"]:
        assert any(case["erreurAttendue"] in text for text in texts), texts
    else:
        assert texts == []
    summary = chorus_api.consulter_cr(answer.numero_flux_depot)
    assert summary.code_retour == 0, summary.libelle
    assert summary.numero_flux_depot == answer.numero_flux_depot
    assert summary.etat_courant_flux == case["etatAttendu"]
    assert summary.nom_fichier_flux == cr.nomFichier
    assert base64.b64decode(summary.fichier_cr).startswith(b"%PDF")


def assert_no_result(found: RechercheFactureResponse) -> None:
    """An empty search is a business answer on the real platform, decoded all the same."""
    assert (found.code_retour, found.libelle) == (
        20000, "TRA_MSG_00.015 - La recherche n'a retourné aucun résultat")
    assert found.liste_factures == []


@pytest.mark.parametrize(
    "name", [n for n, c in CASES.items() if c["etatAttendu"] != "IN_REJETE"])
def test_integrated_invoices_are_found_by_their_flux(name, outcomes, chorus_api):  # noqa: ANN001
    """``rechercher_facture`` always sends ``typeFacture: FACTURE``: a credit note is
    filtered out, as the real search does."""
    case = CASES[name]
    answer, _ = outcomes[name]
    found = chorus_api.rechercher_facture(answer.numero_flux_depot)
    if name == "ubl-credit-note":
        assert_no_result(found)
        return
    assert found.code_retour == 0, found.libelle
    assert sorted(f.numero_facture for f in found.liste_factures) == sorted(
        case["facturesIntegrees"])
    for facture in found.liste_factures:
        assert facture.numero_flux_depot == answer.numero_flux_depot
        assert facture.statut == StatutFacture.MISE_A_DISPOSITION
        assert facture.type_facture == "FACTURE"
        assert facture.code_fournisseur == MANIFEST["fournisseur"]
        assert isinstance(facture.identifiant_facture_cpp, int)


def test_rejected_flux_has_no_invoice(outcomes, chorus_api):  # noqa: ANN001
    answer, _ = outcomes["reject-xsd"]
    assert_no_result(chorus_api.rechercher_facture(answer.numero_flux_depot))


def test_history_of_a_found_invoice(outcomes, chorus_api, chorus_module):  # noqa: ANN001
    """chorus-api has no ``consulter/historique``: the invoice it found is read with the
    plugin's technical client, then moved on and read again."""
    answer, _ = outcomes["ubl-invoice"]
    [facture] = chorus_api.rechercher_facture(answer.numero_flux_depot).liste_factures
    api = chorus_module.technical_client()

    def history() -> list[str]:
        body = api.post("/cpro/factures/v1/consulter/historique", json={
            "idFacture": facture.identifiant_facture_cpp}, timeout=30).json()
        assert body["codeRetour"] == 0, body
        return [h["histoStatutCode"] for h in body["historiquesDesStatuts"]["histoStatut"]]

    assert history() == ["MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", "DEPOSEE"]
    chorus_module.move_invoice(facture.identifiant_facture_cpp, StatutFacture.MISE_EN_PAIEMENT)
    [moved] = chorus_api.rechercher_facture(answer.numero_flux_depot).liste_factures
    assert moved.statut == StatutFacture.MISE_EN_PAIEMENT
    assert history()[:2] == ["MISE_EN_PAIEMENT", "MISE_A_DISPOSITION"]


def test_an_unknown_flux_is_a_business_answer_the_client_decodes(chorus_api):  # noqa: ANN001
    cr = chorus_api.consulter_cr_detaille("CPP0011100999999999999999")
    assert (cr.code_retour, cr.libelle) == (20001, "POQ_MSG_01.003 - Flux introuvable.")
    assert cr.liste_erreur_dp == [] and cr.etat_courant_depot_flux is None


def test_a_refused_token_raises_the_clients_exception(chorus_module):  # noqa: ANN001
    client = ChorusAPI(client_id="inconnu", client_secret="faux")
    client.auth_url = f"{chorus_module.url}/api/oauth/token"
    with pytest.raises(ChorusApiException, match="invalid_client"):
        client.auth()
