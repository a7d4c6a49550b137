"""Issue #23, findings 1-8: each hostile input sent from outside, over HTTP, to the
session's stack (gunicorn workers, the factures worker, a real database).

Each test failed on the code before the fix (docs/reliability.md, "Attacks of issue
#23"): a worker stalled by a PDF, ``IN_INCIDENTE`` for an entity or an encrypted zip,
elements and ignored members unbounded, two resets both answering a password, a token
from the sandbox's future accepted, a body with a lone surrogate missing from the
journal.
"""

from __future__ import annotations

import base64
import io
import struct
import threading
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
from api_factories import build_world, cpro_account, tag, tech_client
from factures_flux import advance_clock, deposit, wait_terminal
from pypdf import PdfWriter

from sandbox import db
from sandbox.config import load_settings
from sandbox.seeding.invoice_cases import cases
from sandbox.testing.client import SandboxClient
from sandbox.testing.hostile import UBL_ROOT, many_elements, tar_gz_with_ignored, zip_of
from sandbox.vocabulary import EtatFlux

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
DELAY = load_settings().factures_integration_delay + 1
UBL = "IN_DP_E1_UBL_INVOICE"
HEALTH = "/cpro/transverses/v1/health-check"
SEARCH = "/cpro/structures/v1/rechercher"


@pytest.fixture(scope="module")
def api(base_url, world):
    return tech_client(base_url, world)


def _fresh_ubl(world) -> tuple[bytes, str]:
    prefix = tag()
    case = next(c for c in cases(world.own.identifiant, prefix=prefix) if c.name == "ubl-invoice")
    return case.content, case.numeros[0]


def _judged(base_url: str, api, content: bytes, nom: str) -> dict:
    """Deposit, move the clock past the integration delay, wait for the end state."""
    numero = deposit(api, content, nom, UBL)["numeroFluxDepot"]
    advance_clock(base_url, DELAY)
    return wait_terminal(api, numero)


def _errors(cr: dict) -> str:
    return " | ".join(e["libelleErreur"] for e in cr.get("listeErreurTechnique") or [])


# --- 1. a PDF whose text has runs of spaces ------------------------------------------------


def test_a_pdf_with_runs_of_spaces_is_read_at_once(api):
    """fixtures/hostile/pdf-espaces.pdf: "Facture", "Engagement" and "Total" each followed
    by 4,000 spaces (the patterns backtracked cubically on them: 1 KB took 50 s, this
    one hours), then a readable invoice number. The answer comes (the request's timeout
    is the failure before the fix) and reads what follows the runs."""
    pdf = (HOSTILE / "pdf-espaces.pdf").read_bytes()
    answer = api.post("/cpro/factures/v1/deposer/pdf", {
        "fichierFacture": base64.b64encode(pdf).decode(), "nomFichier": "espaces.pdf"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["codeRetour"] == 0
    assert body["numeroFacture"] == "FH-0001"
    assert body["montantHtTotal"] == 1250.0
    # The stack still answers its probes (no worker is left scanning).
    assert api.get(HEALTH).status_code == 200


# --- 2. entities ---------------------------------------------------------------------------


def _with_doctype(xml: bytes, subset: str, reference: str) -> bytes:
    """``xml`` with a DOCTYPE (internal subset ``subset``) after its declaration, and the
    invoice's profile (``A1``) written as ``reference``."""
    head, _, rest = xml.partition(b"?>")
    body = rest.replace(b"<cbc:ProfileID>A1<", f"<cbc:ProfileID>{reference}<".encode(), 1)
    assert body != rest
    return head + b"?>" + f"\n<!DOCTYPE Invoice [{subset}]>".encode() + body


def test_a_valid_invoice_with_an_internal_entity_is_judged_not_an_incident(base_url, api,
                                                                           world):
    content, _numero = _fresh_ubl(world)
    hostile = _with_doctype(content, '<!ENTITY profil "A1">', "&profil;")
    cr = _judged(base_url, api, hostile, "entite-interne.xml")
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    assert "DOCTYPE is disallowed" in _errors(cr)


def test_an_external_entity_is_refused_and_never_read(base_url, api, world):
    content, _numero = _fresh_ubl(world)
    hostile = _with_doctype(content, '<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;")
    cr = _judged(base_url, api, hostile, "xxe.xml")
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    assert "DOCTYPE is disallowed" in _errors(cr)
    assert "root:" not in str(cr)


# --- 3. encrypted and deflate64 zips --------------------------------------------------------


def _patched_zip(member: bytes, *, encrypted: bool = False, method: int | None = None) -> bytes:
    """A zip of one stored ``facture.xml`` whose headers say encrypted, or another
    compression method (as written by 7-Zip or Windows for large files: deflate64 = 9)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("facture.xml", member)
    data = bytearray(buffer.getvalue())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    if encrypted:
        data[local + 6] |= 1
        data[central + 8] |= 1
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    return bytes(data)


@pytest.mark.parametrize("kind", ["encrypted", "deflate64"])
def test_an_encrypted_or_deflate64_zip_is_a_format_rejection(base_url, api, world, kind):
    content, _ = _fresh_ubl(world)
    archive = (_patched_zip(content, encrypted=True) if kind == "encrypted"
               else _patched_zip(content, method=9))
    cr = _judged(base_url, api, archive, f"{kind}.zip")
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    errors = cr["listeErreurTechnique"]
    assert errors and errors[0]["codeErreur"] == "ERR_FORMAT_001"
    assert ("chiffre" if kind == "encrypted" else "methode 9") in _errors(cr)


# --- 4. elements, not bytes -----------------------------------------------------------------


def test_a_file_of_too_many_elements_is_refused_at_the_limit(base_url, api):
    """300,000 empty elements (1.2 MB, 4 KB zipped): over the per-file limit."""
    cr = _judged(base_url, api, zip_of("elements.xml", many_elements(300_000)), "elements.zip")
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    assert "plus de 250000 elements" in _errors(cr)


def test_elements_nested_too_deep_are_refused(base_url, api):
    xml = UBL_ROOT + b"<a>" * 100 + b"</a>" * 100 + b"</Invoice>"
    cr = _judged(base_url, api, xml, "profond.xml")
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    assert "imbriques sur plus de 64 niveaux" in _errors(cr)


def _facturx_with(xml: bytes) -> bytes:
    """A one-page PDF with ``xml`` attached as factur-x.xml (pypdf, as any tool may)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["elements", "doctype"])
def test_the_xml_embedded_in_a_facturx_is_bounded_before_it_is_read(base_url, api, kind):
    """The XML of a Factur-X goes through the same bounded parse (elements, depth, no
    DOCTYPE) before the factur-x library reads it with lxml's defaults, which bound
    neither. Seen from outside the answer is the one the XML path gives afterwards (the
    bound is on the memory of the library's parse), so these are regression tests of the
    Factur-X path rather than failing-before ones."""
    root = "rsm:CrossIndustryInvoice"
    namespace = 'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"'
    if kind == "elements":
        xml = f"<{root} {namespace}>".encode() + b"<a/>" * 300_000 + f"</{root}>".encode()
    else:
        xml = f'<!DOCTYPE {root} [<!ENTITY e "x">]><{root} {namespace}>&e;</{root}>'.encode()
    numero = deposit(api, _facturx_with(xml), f"{kind}.pdf", "IN_DP_E2_CII_FACTURX")[
        "numeroFluxDepot"]
    advance_clock(base_url, DELAY)
    cr = wait_terminal(api, numero)
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    errors = cr["listeErreurTechnique"]
    assert [e["codeErreur"] for e in errors] == ["ERR_XSD_001"], errors
    expected = "plus de 250000 elements" if kind == "elements" else "DOCTYPE is disallowed"
    assert expected in _errors(cr)


# --- 5. every inflated byte counts ----------------------------------------------------------


def test_an_ignored_member_counts_in_the_unpacked_limit(base_url, api, world):
    """A tar.gz: a 210 MB member of zeros the platform ignores (``.bin``), then a valid
    invoice. Skipping the member inflates it: it counts, the flux is over 200 MB."""
    content, _ = _fresh_ubl(world)
    archive = tar_gz_with_ignored(210_000_000, content)
    cr = _judged(base_url, api, archive, "ignore.tar.gz")
    assert cr["etatCourantDepotFlux"] == EtatFlux.IN_REJETE, cr
    assert "trop volumineuse" in _errors(cr)


# --- 6. two technical-account resets at once -------------------------------------------------


def _works(base_url: str, world, password: str) -> bool:
    token = requests.post(f"{base_url}/api/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_id": world.client_id,
        "client_secret": world.client_secret, "scope": "openid"}).json()["access_token"]
    answer = requests.get(f"{base_url}{HEALTH}", timeout=30, headers={
        "Authorization": f"Bearer {token}",
        "cpro-account": cpro_account(world.tech_login, password)})
    return answer.status_code == 200


def test_two_concurrent_technical_account_resets_give_one_working_password(base_url,
                                                                            stack_db):
    """3 rounds of 2 resets released together: every password answered works, and only
    one is answered per round (the other call is a 409 naming the winner). A world of its
    own: the module's ``api`` keeps its password."""
    with db.new_session() as s:
        world = build_world(s)
    url = f"{base_url}/_sandbox/accounts/{world.gp.login}/technical-account"
    for _ in range(3):
        gate = threading.Barrier(2)
        answers: list[requests.Response] = []

        def reset(gate: threading.Barrier, answers: list[requests.Response]) -> None:
            gate.wait()
            answers.append(requests.post(url, json={}, timeout=60))

        threads = [threading.Thread(target=reset, args=(gate, answers)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409]), \
            [a.text for a in answers]
        passwords = {a.json()["password"] for a in answers if a.status_code == 201}
        assert len(passwords) == 1, "two different passwords answered at once"
        (password,) = passwords
        assert _works(base_url, world, password)
        world.tech_password = password


# --- 7. a token from the sandbox's future ---------------------------------------------------


def test_a_token_minted_in_the_future_no_longer_works_after_the_clock_goes_back(
        base_url, world, clock_restored):
    chorus = SandboxClient(base_url, "")
    start = chorus.clock()["offsetSeconds"]
    chorus.set_clock(start + 30 * 86400)
    api = tech_client(base_url, world)
    api.fetch_token()
    assert api.get(HEALTH).status_code == 200
    chorus.set_clock(start)
    refused = api.get(HEALTH)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"
    assert "clock was moved back" in refused.json()["error_description"]
    api.fetch_token()  # a token minted now works
    assert api.get(HEALTH).status_code == 200


# --- 8. a lone surrogate in a body reaches the journal --------------------------------------


def test_a_body_with_a_lone_surrogate_is_journaled_and_verifiable(base_url, api):
    marker = f"surrogate-{uuid.uuid4().hex[:10]}"
    since = time.time() - 1
    raw = ('{"structure": {"raisonSocialeStructure": "' + marker
           + '", "libelleStructure": "\\ud800"}}')
    answer = api.http.post(f"{base_url}{SEARCH}", data=raw.encode(), headers=api.headers(),
                           timeout=30)
    assert answer.status_code < 500
    found = SandboxClient(base_url, "").verify(
        "POST", SEARCH, since=since,
        body_partial={"structure": {"raisonSocialeStructure": marker}})
    assert found["count"] == 1, found
    assert found["requests"][0]["status"] == answer.status_code
