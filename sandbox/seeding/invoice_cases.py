"""The example flux of ``fixtures/factures/``: one per format that integrates, and one
rejected for each validation rule, with the outcome each must reach.

``cases(supplier, prefix)`` renders them for a supplier SIRET (the depositor's
structure) and an invoice-number prefix; ``python -m sandbox.seeding.invoice_cases
[folder]`` writes them for the default seed's supplier, with ``manifest.json``
saying the syntax, expected state and expected error of each file. Recipients are
the permanent recipients of the qualification data set (reference §8).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.seeding import invoice_examples as ex
from sandbox.seeding.generator import default_structure_siret
from sandbox.vocabulary import EtatFlux, SyntaxeFlux

ETAT = "11000201100044"  # Destinataire Etat, service SFACETAT
SERV_OBL = "12345678200028"  # service mandatory (SERVICE_DEST_SERV_OBL)
EJ_OBL = "12345678200036"  # EJ mandatory
EJ_OU_SERV = "12345678200044"  # EJ or service (SERVICE_DEST_EJ_OU_SERV_OBL)
SANS_PARAM = "12345678200051"  # no parameter
UNKNOWN_SIRET = "00000000000017"

UBL = SyntaxeFlux.IN_DP_E1_UBL_INVOICE
CII = SyntaxeFlux.IN_DP_E1_CII_16B
FACTURX = SyntaxeFlux.IN_DP_E2_CII_FACTURX


@dataclass(frozen=True)
class Case:
    name: str
    fichier: str
    syntaxe: str
    content: bytes
    etat: str
    erreur: str | None = None  # a fragment of the expected libellé
    numeros: tuple[str, ...] = ()  # the invoices it integrates
    after: str | None = None  # a case to deposit first (the duplicate rule)


def cases(supplier: str, prefix: str = "FX") -> list[Case]:
    """Every example flux for ``supplier``; invoice numbers start with ``prefix``."""

    def e(n: str, **kw) -> ex.Example:
        return ex.Example(
            f"{prefix}-{n}",
            supplier,
            ETAT,
            service="SFACETAT",
            destinataire_nom="Destinataire Etat",
            **kw,
        )

    ok, rej = EtatFlux.IN_INTEGRE, EtatFlux.IN_REJETE
    bundle_ok = {
        "facture-ej-ou-service.xml": ex.ubl(
            e(
                "LOT1",
            ).with_(destinataire=EJ_OU_SERV, service="SERVICE_DEST_EJ_OU_SERV_OBL")
        ),
        "facture-sans-parametre.xml": ex.ubl(
            e("LOT2").with_(destinataire=SANS_PARAM, service=None)
        ),
        "facture-etat.xml": ex.ubl(e("LOT3")),
        "FSO1100A.xsl": b"<!-- an AIFE stylesheet: ignored -->",
    }
    partial = {
        "bonne.xml": ex.cii(e("PART1")),
        "sans-service.xml": ex.cii(e("PART2").with_(destinataire=SERV_OBL, service=None)),
    }
    plain_pdf = ex._visual_pdf(e("PDF"))
    built: list[tuple[str, str, str, bytes, str, str | None, tuple, str | None]] = [
        (
            "ubl-invoice",
            "ubl-facture.xml",
            UBL,
            ex.ubl(e("UBL1", engagement="0000012219")),
            ok,
            None,
            (f"{prefix}-UBL1",),
            None,
        ),
        (
            "ubl-credit-note",
            "ubl-avoir.xml",
            UBL,
            ex.ubl(e("AV1", type_code="381", facture_origine=f"{prefix}-UBL1")),
            ok,
            None,
            (f"{prefix}-AV1",),
            None,
        ),
        (
            "cii-16b",
            "cii-16b-facture.xml",
            CII,
            ex.cii(e("CII1").with_(destinataire=SERV_OBL, service="SERVICE_DEST_SERV_OBL")),
            ok,
            None,
            (f"{prefix}-CII1",),
            None,
        ),
        (
            "facturx",
            "facturx-facture.pdf",
            FACTURX,
            ex.facturx(e("FX1").with_(destinataire=EJ_OBL, service=None, engagement="0000048295")),
            ok,
            None,
            (f"{prefix}-FX1",),
            None,
        ),
        (
            "bundle-tar-gz",
            "lot-factures.tar.gz",
            UBL,
            ex.tar_gz(bundle_ok),
            ok,
            None,
            (f"{prefix}-LOT1", f"{prefix}-LOT2", f"{prefix}-LOT3"),
            None,
        ),
        (
            "bundle-zip",
            "lot-factures.zip",
            CII,
            ex.zip_bundle({"z1.xml": ex.cii(e("ZIP1")), "z2.xml": ex.cii(e("ZIP2"))}),
            ok,
            None,
            (f"{prefix}-ZIP1", f"{prefix}-ZIP2"),
            None,
        ),
        (
            "partial",
            "lot-partiel.tar.gz",
            CII,
            ex.tar_gz(partial),
            EtatFlux.IN_INTEGRE_PARTIEL,
            "BuyerReference.value est obligatoire",
            (f"{prefix}-PART1",),
            None,
        ),
        (
            "reject-xsd",
            "rejet-xsd.xml",
            UBL,
            ex.ubl(e("XSD", amount_override="-1 324,60")),
            rej,
            "IRRECEVABILITE",
            (),
            None,
        ),
        (
            "reject-not-xml",
            "rejet-pas-xml.xml",
            UBL,
            b"Ceci n'est pas du XML",
            rej,
            "IRRECEVABILITE",
            (),
            None,
        ),
        (
            "reject-not-facturx",
            "rejet-pdf-sans-xml.pdf",
            FACTURX,
            plain_pdf,
            rej,
            "ne contient pas de fichier XML Factur-X",
            (),
            None,
        ),
        (
            "reject-supplier-unknown",
            "rejet-fournisseur-inconnu.xml",
            UBL,
            ex.ubl(e("FOUR").with_(fournisseur=UNKNOWN_SIRET)),
            rej,
            "n'est pas reference dans notre systeme",
            (),
            None,
        ),
        (
            "reject-supplier-not-usable",
            "rejet-fournisseur-non-rattache.xml",
            UBL,
            ex.ubl(e("RATT").with_(fournisseur=SANS_PARAM)),
            rej,
            "n'utilise pas",
            (),
            None,
        ),
        (
            "reject-recipient-siren",
            "rejet-destinataire-siren.xml",
            UBL,
            ex.ubl(e("SIREN").with_(destinataire=ETAT[:9])),
            rej,
            "pas un SIREN",
            (),
            None,
        ),
        (
            "reject-service-required",
            "rejet-service-obligatoire.xml",
            CII,
            ex.cii(e("SERV").with_(destinataire=SERV_OBL, service=None)),
            rej,
            "BuyerReference.value est obligatoire",
            (),
            None,
        ),
        (
            "reject-ej-required",
            "rejet-ej-obligatoire.xml",
            CII,
            ex.cii(e("EJ").with_(destinataire=EJ_OBL, service=None)),
            rej,
            "BuyerOrderReferencedDocument.IssuerAssignedID.value est obligatoire",
            (),
            None,
        ),
        (
            "reject-ej-or-service",
            "rejet-ej-ou-service.xml",
            UBL,
            ex.ubl(e("EJSERV").with_(destinataire=EJ_OU_SERV, service=None)),
            rej,
            "OrderReference.ID.value est obligatoire si",
            (),
            None,
        ),
        (
            "reject-service-unknown",
            "rejet-service-inconnu.xml",
            UBL,
            ex.ubl(e("SINC").with_(service="SERVICE_INCONNU")),
            rej,
            "n'est pas reference pour ce destinataire",
            (),
            None,
        ),
        (
            "reject-payment-means",
            "rejet-moyen-paiement.xml",
            CII,
            ex.cii(e("PAIE").with_(moyen_paiement=None)),
            rej,
            "SpecifiedTradeSettlementPaymentMeans.TypeCode.value est obligatoire",
            (),
            None,
        ),
        (
            "reject-cadre",
            "rejet-cadre-facturation.xml",
            CII,
            ex.cii(e("CADRE").with_(cadre="A99")),
            rej,
            "n'est pas un cadre de facturation valide",
            (),
            None,
        ),
        (
            # BT-23 absent: integrated, A1 by default (Tryton's live scenario, OCA #223/#237).
            "cadre-missing",
            "cii-cadre-absent.xml",
            CII,
            ex.cii(e("CADRE0").with_(cadre=None)),
            ok,
            None,
            (f"{prefix}-CADRE0",),
            None,
        ),
        (
            # BT-23 present and not a Chorus cadre: a 2026 billing mode (docs/decisions.md).
            "reject-cadre-2026",
            "rejet-cadre-mode-2026.xml",
            CII,
            ex.cii(e("CADRES1").with_(cadre="S1")),
            rej,
            "La valeur S1 de l'element FichierXml.ExchangedDocumentContext."
            "BusinessProcessSpecifiedDocumentContextParameter.ID.value n'est pas un cadre",
            (),
            None,
        ),
        (
            "reject-vat-codes",
            "rejet-codes-tva.xml",
            CII,
            ex.cii(e("TVA").with_(codes_tva=False)),
            rej,
            "ApplicableHeaderTradeSettlement.ApplicableTradeTax.TypeCode.value est obligatoire",
            (),
            None,
        ),
        (
            "reject-gross-price",
            "rejet-prix-brut.xml",
            CII,
            ex.cii(e("BRUT").with_(prix_brut="sans-remise")),
            rej,
            "L'element (AppliedTradeAllowanceCharge.ActualAmount.value) est obligatoire si",
            (),
            None,
        ),
        (
            "cii-gross-price",
            "cii-prix-brut-remise.xml",
            CII,
            ex.cii(e("BRUT2").with_(prix_brut="remise")),
            ok,
            None,
            (f"{prefix}-BRUT2",),
            None,
        ),
        (
            # The 2026 location of the service code: BT-46 with schemeID 0224.
            "cii-routing-code",
            "cii-code-routage-0224.xml",
            CII,
            ex.cii(e("ROUT").with_(destinataire=SERV_OBL, service=None,
                                   code_routage="SERVICE_DEST_SERV_OBL")),
            ok,
            None,
            (f"{prefix}-ROUT",),
            None,
        ),
        (
            # A Peppol ProfileID is a profile, not a cadre (A1 by default).
            "ubl-peppol-profile",
            "ubl-profil-peppol.xml",
            UBL,
            ex.ubl(e("PEPPOL").with_(cadre="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0")),
            ok,
            None,
            (f"{prefix}-PEPPOL",),
            None,
        ),
        (
            "reject-numero",
            "rejet-numero-facture.xml",
            UBL,
            ex.ubl(e("NUMERO").with_(numero=f"{prefix} NUMERO INVALIDE #1")),
            rej,
            "n'est pas valide (20 caracteres au plus",
            (),
            None,
        ),
        (
            "reject-duplicate",
            "rejet-doublon.xml",
            UBL,
            ex.ubl(e("UBL1", engagement="0000012219")),
            rej,
            "doublon",
            (),
            "ubl-invoice",
        ),
    ]
    return [Case(*row) for row in built]


def write_fixtures(folder: Path, seed: int = 2024) -> list[dict]:
    """Write every case for the default seed's supplier, and the manifest."""

    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for case in cases(default_structure_siret(seed)):
        (folder / case.fichier).write_bytes(case.content)
        manifest.append(
            {
                "cas": case.name,
                "fichier": case.fichier,
                "syntaxeFlux": str(case.syntaxe),
                "etatAttendu": str(case.etat),
                "erreurAttendue": case.erreur,
                "facturesIntegrees": list(case.numeros),
                "deposerApres": case.after,
            }
        )
    (folder / "manifest.json").write_text(
        json.dumps(
            {"seed": seed, "fournisseur": default_structure_siret(seed), "cas": manifest},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return manifest


if __name__ == "__main__":
    write_fixtures(Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/factures"))
