"""The platform's checks of a deposited invoice, as one table (issue #20.1).

One ``Rule`` per check, in the platform's order (factures-rules-and-apis-reference.md
§1.1: envelope at once, then the file's technical admissibility, then the management
rules of each demande de paiement): its id, what it checks, the flux syntaxes it
applies to, the compte rendu's label in the attested style (accents stripped, the
element named), the state it leads to, its evidence and the confidence in it, and the
explanation the sandbox gives beyond the real platform (why, how to fix; in English for
the control plane and the docs, in French for the portal).

The checks themselves are ``checks.py`` (management and strict rules), ``deposit.py``
(envelope) and ``formats/`` (technical admissibility); each cites its rule's id, and
``docs/factures-rules.md`` is ``markdown()`` of this table (a test keeps them equal).
Rules marked ``applied=False`` are attested somewhere but not simulated, with why.

A rules module: data only, no Flask, no database.

Why this size (over ~400 lines): the table's text (labels, evidence, explanations in two
languages) for 38 rules; splitting it would scatter the one table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.factures.rules.travaux_cycle import SANS_MOE
from sandbox.vocabulary import CadreFacturation, EtatFlux, SyntaxeFlux

# The syntaxes, in the groups the rules distinguish (reference §7.1).
GROUPS: dict[str, tuple[str, ...]] = {
    "UBL": (SyntaxeFlux.IN_DP_E1_UBL_INVOICE, SyntaxeFlux.IN_DP_PDFARCHIVE_UBL_INVOICE_MUG),
    "UBL-MIN": (SyntaxeFlux.IN_DP_E2_UBL_INVOICE_MIN,),
    "CII": (
        SyntaxeFlux.IN_DP_E1_CII_16B,
        SyntaxeFlux.IN_DP_E1_CII,
        SyntaxeFlux.IN_DP_PDFARCHIVE_CII_MUG,
    ),
    "CII-MIN": (SyntaxeFlux.IN_DP_E2_CII_MIN_16B, SyntaxeFlux.IN_DP_E2_CII_MIN),
    "FACTURX": (SyntaxeFlux.IN_DP_E2_CII_FACTURX,),
    "NON-SIMULE": (
        SyntaxeFlux.IN_DP_E1_PES_FACTURE,
        SyntaxeFlux.IN_DP_E2_PES_FACTURE_MIN,
        SyntaxeFlux.IN_DP_E1_XCBL,
        SyntaxeFlux.IN_DP_E2_CPP_FACTURE_MIN,
    ),
}
XML = ("UBL", "UBL-MIN", "CII", "CII-MIN", "FACTURX")
ALL = (*XML, "NON-SIMULE")
CII_FAMILY = ("CII", "CII-MIN", "FACTURX")

# The cadres a flux deposit may use: the plain invoices', and the supplier's works cadres
# whose circuit needs no MOE (travaux_cycle.SANS_MOE: A5, A6, A8, A22, A23; a flux has
# nowhere to name a MOE, the others go through facturesTravaux/v1/soumettre).
CADRES_FLUX: dict[str, str] = {
    "A1": CadreFacturation.A1_FACTURE_FOURNISSEUR,
    "A2": CadreFacturation.A2_FACTURE_FOURNISSEUR_DEJA_PAYEE,
    "A9": CadreFacturation.A9_FACTURE_SOUSTRAITANT,
    "A12": CadreFacturation.A12_FACTURE_COTRAITANT,
    **{cadre.split("_", 1)[0]: cadre for cadre in SANS_MOE},
}
CADRE_PAR_DEFAUT = CadreFacturation.A1_FACTURE_FOURNISSEUR
# numeroFacture: varchar(20), letters, digits and - _ / + (reference §5.1, BR-FR-CPRO-02).
NUMERO = re.compile(r"[A-Za-z0-9_/+\-]{1,20}")
# A specification or profile identifier (Peppol's ProfileID, EN 16931's CustomizationID,
# Factur-X's guideline): a URN or a URL, never a Chorus cadre.
PROFILE_URI = re.compile(r"^(urn:|https?://)", re.IGNORECASE)

ENVELOPE, TECHNICAL, MANAGEMENT, STRICT = "enveloppe", "technique", "gestion", "strict"
REJECTED = "refus synchrone (rien n'est enregistré)"


@dataclass(frozen=True)
class Rule:
    """One check of the platform, and what the sandbox says of it."""

    id: str
    layer: str
    what: str  # English: what it checks
    groups: tuple[str, ...]  # syntax groups (GROUPS) it applies to; "S" = soumettre too
    label: str  # the CR's wording; {placeholders} filled by the check
    label_source: str  # "attested [SRC]" or "sandbox" (worded in the attested style)
    state: str  # what the flux (or the call) becomes
    evidence: str
    confidence: str
    why: str  # English explanation
    fix: str
    pourquoi: str  # French explanation (portal)
    correction: str
    applied: bool = True
    soumettre: str | None = None  # how soumettre answers it, where it applies

    def applies_to(self, syntaxe: str) -> bool:
        return any(syntaxe in GROUPS.get(group, ()) for group in self.groups)


def _e(path: str) -> str:
    return f"FichierXml.{path}.value"


RULES: tuple[Rule, ...] = (
    # --- envelope: deposer/flux answers at once ----------------------------------------
    Rule(
        "ENV-01", ENVELOPE, "the request's shape: syntaxeFlux one of the 13 values, nomFichier "
        "at most 200 characters, fichierFlux a string, avecSignature a boolean", ALL,
        "HTTP 400, codeRetour 10002 and the field", "sandbox",
        REJECTED, "13-value enum of the Swagger [TS-CLIENT]; varchar(200) [CPP2017]",
        "high / answer low",
        "The request does not have the shape the Swagger describes.",
        "Send the fields of DeposerFluxFactureParam with their types; syntaxeFlux from the list.",
        "La requête n'a pas la forme décrite par le Swagger.",
        "Envoyez les champs de DeposerFluxFactureParam avec leurs types ; syntaxeFlux dans la "
        "liste.",
    ),
    Rule(
        "ENV-02", ENVELOPE, "nomFichier has an extension (name.ext)", ALL,
        "20402", "sandbox", REJECTED, "reference FR §11 q2", "medium / code low",
        "The file name has no extension; the platform needs it to know the file's type.",
        "Name the file with its extension (.xml, .pdf, .zip, .tar.gz).",
        "Le nom du fichier n'a pas d'extension ; la plateforme en a besoin pour le lire.",
        "Donnez au fichier son extension (.xml, .pdf, .zip, .tar.gz).",
    ),
    Rule(
        "ENV-03", ENVELOPE, "fichierFlux is strict base64", ALL, "20400", "sandbox", REJECTED,
        "[TS-CLIENT]", "medium / code low",
        "fichierFlux is not base64 (RFC 4648 alphabet and padding, no line breaks).",
        "Encode the file's bytes with a standard base64 encoder, without line breaks.",
        "fichierFlux n'est pas en base64 (alphabet RFC 4648, sans retour à la ligne).",
        "Encodez les octets du fichier en base64 standard, sans retour à la ligne.",
    ),
    Rule(
        "ENV-04", ENVELOPE, "the decoded file is not empty", ALL, "20401", "sandbox", REJECTED,
        "—", "low", "The file is empty.", "Send the invoice file's content.",
        "Le fichier est vide.", "Envoyez le contenu du fichier de factures.",
    ),
    Rule(
        "ENV-05", ENVELOPE, "the decoded file is at most SANDBOX_FACTURES_MAX_FILE_BYTES (30 Mo)",
        ALL, "20403", "sandbox", REJECTED, "30 Mo XML batch cap [COMM-PJ]", "medium / code low",
        "The file is over the platform's size limit for one flux.",
        "Split the invoices into several flux.",
        "Le fichier dépasse la taille maximale d'un flux.",
        "Répartissez les factures sur plusieurs flux.",
    ),
    # --- technical admissibility: the whole flux ---------------------------------------
    Rule(
        "TEC-01", TECHNICAL, "the syntax is one the sandbox simulates (PES, xCBL and CPP facture "
        "minimal are not)", ("NON-SIMULE",),
        "ERR_SYNTAXE_001 IRRECEVABILITE: la syntaxe {syntaxe} n'est pas simulee par le bac a "
        "sable ...", "sandbox (a sandbox-only rule)", EtatFlux.IN_REJETE, "—", "n/a",
        "The sandbox does not read this syntax (the real platform does).",
        "Test with UBL, CII or Factur-X, or against the real qualification environment.",
        "Le bac à sable ne lit pas cette syntaxe (la plateforme réelle, si).",
        "Testez en UBL, CII ou Factur-X, ou sur la qualification réelle.",
    ),
    Rule(
        "TEC-02", TECHNICAL, "a bundle (zip, tar, tar.gz) is readable, at most 500 files and 200 "
        "MB unpacked, with at least one .xml or .pdf (other members ignored)", XML,
        "ERR_FORMAT_001 IRRECEVABILITE: l'archive {fichier} ...", "sandbox",
        EtatFlux.IN_REJETE, "500 invoices per flux [AKUITEO]; tar.gz bundles [OCA]",
        "medium / label low",
        "The archive cannot be read, is too large, or holds no invoice file.",
        "Build the archive with a standard tool; put the invoices at most 500 per flux.",
        "L'archive est illisible, trop volumineuse, ou ne contient aucune facture.",
        "Construisez l'archive avec un outil standard ; 500 factures au plus par flux.",
    ),
    Rule(
        "TEC-03", TECHNICAL, "a Factur-X is a PDF with its CII XML embedded (factur-x.xml)",
        ("FACTURX",), "ERR_FORMAT_001 IRRECEVABILITE: le PDF {fichier} ne contient pas de "
        "fichier XML Factur-X embarque ...", "sandbox", EtatFlux.IN_REJETE,
        "non-compliant Factur-X rejected [DOLI-562]", "medium / label low",
        "The file is not a PDF, or no Factur-X XML is embedded in it.",
        "Embed the CII as factur-x.xml in a PDF/A-3 (e.g. the factur-x library).",
        "Le fichier n'est pas un PDF, ou aucun XML Factur-X n'y est embarqué.",
        "Embarquez le CII sous le nom factur-x.xml dans un PDF/A-3 (bibliothèque factur-x...).",
    ),
    Rule(
        "TEC-04", TECHNICAL, "the XML is well-formed (no DTD, no entity, no network)", XML,
        "ERR_XSD_001 IRRECEVABILITE: <message> - ligne: L - position: C",
        "attested shape [KROSOFT]", EtatFlux.IN_REJETE, "[KROSOFT]",
        "high / message text medium (Xerces' on the platform, libxml2's here)",
        "The file is not well-formed XML.",
        "Fix the XML at the line and column given (an unclosed tag, a stray '&'...).",
        "Le fichier n'est pas un XML bien formé.",
        "Corrigez le XML à la ligne et la colonne indiquées (balise non fermée, '&' isolé...).",
    ),
    Rule(
        "TEC-05", TECHNICAL, "the XML is valid against the syntax's XSD (UBL 2.1, CII D16B; the "
        "E2 minimal syntaxes against the full schemas: the platform's minimal XSDs are not "
        "public); at most 100 errors", XML,
        "ERR_XSD_001 IRRECEVABILITE: <message> - ligne: L - position: C (one entry per error)",
        "attested shape [KROSOFT]", EtatFlux.IN_REJETE, "[KROSOFT] (53 errors in one CR), "
        "[KB-EDI], [SPEC-EDI]", "high / message text medium",
        "The XML does not follow its syntax's schema (an unknown element, a wrong order, a "
        "value of the wrong type).",
        "Validate the file against the official XSD and fix each error at its line.",
        "Le XML ne respecte pas le schéma de sa syntaxe (élément inconnu, ordre, type de valeur).",
        "Validez le fichier avec le XSD officiel et corrigez chaque erreur à sa ligne.",
    ),
    Rule(
        "TEC-06", TECHNICAL, "one inadmissible file in a bundle makes the whole flux "
        "inadmissible", XML, "(the errors of that file)", "sandbox", EtatFlux.IN_REJETE,
        "'flux inadmissible' wording [TS-CLIENT]", "low",
        "One file of the bundle is inadmissible, so no invoice of the flux is integrated.",
        "Fix that file, or deposit the others in a flux of their own.",
        "Un fichier du lot est irrecevable : aucune facture du flux n'est intégrée.",
        "Corrigez ce fichier, ou déposez les autres dans un flux à part.",
    ),
    Rule(
        "TEC-07", TECHNICAL, "the exchange system could not process the flux (the sandbox: "
        "SANDBOX_FACTURES_MAX_ATTEMPTS failed integrations, or forced by the control plane)",
        XML, "ERR_TECHNIQUE_001 Le flux n'a pas pu etre traite par le systeme d'echange : il "
        "doit etre depose a nouveau.", "sandbox", EtatFlux.IN_INCIDENTE,
        "meaning [PY-CLIENT], [D4D]", "medium / label low",
        "The platform could not process the flux at all.",
        "Deposit the whole flux again.",
        "La plateforme n'a pas pu traiter le flux.",
        "Déposez à nouveau le flux entier.",
    ),
    # --- management rules: each demande de paiement alone --------------------------------
    Rule(
        "GES-01", MANAGEMENT, "the supplier's identifier (UBL AccountingSupplierParty "
        "PartyIdentification/ID, else PartyLegalEntity/CompanyID; CII seller "
        "SpecifiedLegalOrganization/ID, else ID, GlobalID) is a structure of Chorus Pro",
        (*XML, "S"),
        "L'identifiant fournisseur de la demande de paiement (balise : {balise}) n'est pas "
        "reference dans notre systeme. ", "attested [COMM-CR-DET] (UBL)", EtatFlux.IN_REJETE,
        "[COMM-CR-DET], [KROSOFT]", "high / high (UBL), medium (CII path)",
        "No structure of the platform has the supplier identifier {valeur}.",
        "Put the supplier's full SIRET (14 digits) there, as its structure is registered.",
        "Aucune structure de la plateforme n'a l'identifiant fournisseur {valeur}.",
        "Indiquez le SIRET complet (14 chiffres) du fournisseur, tel que sa structure est "
        "enregistrée.",
        soumettre="20506",
    ),
    Rule(
        "GES-02", MANAGEMENT, "the supplier structure is one the depositing account may use "
        "(attached to it; a technical account: its structure's)", (*XML, "S"),
        "La structure (balise : {balise}) n'utilise pas le compte ayant depose le flux : le "
        "compte doit etre rattache a la structure fournisseur.",
        "attested start [KROSOFT] ('n'utilise pa[s'), end sandbox", EtatFlux.IN_REJETE,
        "[KROSOFT], [COMM-MONITOR]", "high / medium",
        "The account that deposited the flux is not attached to the supplier structure {valeur}.",
        "Deposit with a technical account of that structure, or attach the account to it.",
        "Le compte qui a déposé le flux n'est pas rattaché à la structure fournisseur {valeur}.",
        "Déposez avec un compte technique de cette structure, ou rattachez-y le compte.",
        soumettre="20001 GDP_MSG_11.005",
    ),
    Rule(
        "GES-03", MANAGEMENT, "the supplier structure is active", (*XML, "S"),
        "La structure fournisseur (balise : {balise}) n'est pas active.", "sandbox",
        EtatFlux.IN_REJETE, "—", "medium / low",
        "The supplier structure {valeur} is not active.",
        "Activate the structure (its gestionnaire principal) before depositing.",
        "La structure fournisseur {valeur} n'est pas active.",
        "Faites activer la structure avant de déposer.",
        soumettre="20506",
    ),
    Rule(
        "GES-04", MANAGEMENT, "the recipient's identifier is a structure of Chorus Pro (a full "
        "SIRET: a SIREN gets a hint)", (*XML, "S"),
        "L'identifiant destinataire de la demande de paiement (balise : {balise}) n'est pas "
        "reference dans notre systeme{indice}.", "sandbox (in GES-01's style)",
        EtatFlux.IN_REJETE, "live rejection of a SIREN [TS-CLIENT]", "high / low",
        "No structure of the platform has the recipient identifier {valeur}.",
        "Put the recipient's full SIRET (14 digits), as in the annuaire.",
        "Aucune structure de la plateforme n'a l'identifiant destinataire {valeur}.",
        "Indiquez le SIRET complet (14 chiffres) du destinataire, tel que dans l'annuaire.",
        soumettre="20503",
    ),
    Rule(
        "GES-05", MANAGEMENT, "the recipient structure is active", (*XML, "S"),
        "Le destinataire (balise : {balise}) n'est pas actif.", "sandbox", EtatFlux.IN_REJETE,
        "FR §7.3 item 3", "medium / low",
        "The recipient structure {valeur} is not active.",
        "Check the recipient in the annuaire; invoice an active structure.",
        "La structure destinataire {valeur} n'est pas active.",
        "Vérifiez le destinataire dans l'annuaire ; facturez une structure active.",
        soumettre="20503",
    ),
    Rule(
        "GES-06", MANAGEMENT, "the service code, when the recipient requires one "
        "(codeServiceDoitEtreRenseigne). Read from BT-10 BuyerReference first, then BT-46 with "
        "schemeID 0224 (CII BuyerTradeParty/GlobalID or ID, UBL AccountingCustomerParty "
        "PartyIdentification/ID), then UBL AccountingCustomerParty/Party/Contact/ID",
        (*XML, "S"), "L'element {element} est obligatoire.",
        "attested CII path [TEMPOLIA] (English rendering); UBL path sandbox", EtatFlux.IN_REJETE,
        "[TEMPOLIA]; BT-46/0224: BR-FR-CPRO-11/13 [DOLI-678], [GOBL-CTC]; Annexe A row 96 "
        "keeps BT-10 for Chorus", "high / medium; BT-46/0224 on the legacy flux UNCONFIRMED",
        "The recipient {destinataire} requires a service code, and none was found (BT-10 "
        "BuyerReference, BT-46 with schemeID 0224, UBL Contact/ID).",
        "Put the recipient's service code in BuyerReference (or BT-46 with schemeID=\"0224\").",
        "Le destinataire {destinataire} exige un code service et aucun n'a été trouvé (BT-10 "
        "BuyerReference, BT-46 avec schemeID 0224, Contact/ID en UBL).",
        "Indiquez le code service du destinataire dans BuyerReference (ou BT-46 avec "
        "schemeID=\"0224\").",
        soumettre="20504",
    ),
    Rule(
        "GES-07", MANAGEMENT, "the EJ (engagement juridique), when the recipient requires one "
        "(numeroEJDoitEtreRenseigne): CII BuyerOrderReferencedDocument/IssuerAssignedID, UBL "
        "OrderReference/ID", (*XML, "S"), "L'element {element} est obligatoire.",
        "attested CII path [TEMPOLIA]; UBL path from [PHP-PISTE]", EtatFlux.IN_REJETE,
        "[TEMPOLIA]", "high / medium",
        "The recipient {destinataire} requires an engagement juridique (EJ) number, and none "
        "was found.",
        "Put the order's EJ number (given by the buyer) in BuyerOrderReferencedDocument / "
        "OrderReference.",
        "Le destinataire {destinataire} exige un numéro d'engagement juridique (EJ), absent.",
        "Indiquez le numéro d'EJ (donné par l'acheteur) dans BuyerOrderReferencedDocument / "
        "OrderReference.",
        soumettre="20505",
    ),
    Rule(
        "GES-08", MANAGEMENT, "an EJ or a service code, when the recipient requires one of the "
        "two (gestionNumeroEJOuCodeService)", (*XML, "S"),
        "L'element {ej} est obligatoire si l'element {service} n'est pas renseigne.",
        "sandbox (in the attested conditional style, #504)", EtatFlux.IN_REJETE,
        "flag gestionNumeroEJOuCodeService [OCA], CPR §3.1", "high / low",
        "The recipient {destinataire} requires an EJ number or a service code; neither was found.",
        "Give the EJ number, or the recipient's service code.",
        "Le destinataire {destinataire} exige un numéro d'EJ ou un code service ; aucun des deux.",
        "Indiquez le numéro d'EJ, ou le code service du destinataire.",
        soumettre="20505",
    ),
    Rule(
        "GES-09", MANAGEMENT, "the service code is one of the recipient's services", (*XML, "S"),
        "Le code service (balise : {element}) n'est pas reference pour ce destinataire.",
        "sandbox", EtatFlux.IN_REJETE,
        "'doit appartenir au référentiel Chorus Pro' Annexe A row 96 [DOLI-678]", "high / low",
        "The recipient {destinataire} has no service {valeur}.",
        "Use a service code the recipient publishes (rechercher/service of Structures).",
        "Le destinataire {destinataire} n'a pas de service {valeur}.",
        "Utilisez un code service publié par le destinataire (API Structures).",
        soumettre="20504",
    ),
    Rule(
        "GES-10", MANAGEMENT, "an EJ, when the service requires one (the service's "
        "numeroEngagement flag)", (*XML, "S"),
        "L'element {ej} est obligatoire pour le service {code}.", "sandbox",
        EtatFlux.IN_REJETE, "per-service engagement_required [OCA]", "medium / low",
        "The service {valeur} requires an EJ number, and none was found.",
        "Give the EJ number of the order.",
        "Le service {valeur} exige un numéro d'EJ, absent.",
        "Indiquez le numéro d'EJ de la commande.",
        soumettre="20505",
    ),
    Rule(
        "GES-11", MANAGEMENT, "the service is active", (*XML, "S"),
        "Le service (balise : {element}) n'est pas actif.", "sandbox", EtatFlux.IN_REJETE,
        "[OCA]", "medium / low",
        "The service {valeur} of the recipient is not active.",
        "Use an active service of the recipient.",
        "Le service {valeur} du destinataire n'est pas actif.",
        "Utilisez un service actif du destinataire.",
        soumettre="20504",
    ),
    Rule(
        "GES-19", MANAGEMENT, "the EJ, when one is given to a recipient that manages EJs "
        "(numeroEJDoitEtreRenseigne, gestionNumeroEJOuCodeService, or a service requiring "
        "one), is one of that recipient's legal commitments (engagementsJuridiques/v1; any "
        "state); switch SANDBOX_FACTURES_EJ_CHECK, on by default", (*XML, "S"),
        "Le numero d'engagement juridique de la demande de paiement (balise : {balise}) n'est "
        "pas reference dans notre systeme pour ce destinataire.",
        "sandbox (in GES-01's attested style)", EtatFlux.IN_REJETE,
        "OCA checks the EJ with engagementsJuridiques/v1/rechercher before sending [OCA]; "
        "FR §7.3 item 4 (whether integration itself rejects an unknown EJ: UNCONFIRMED); "
        "BR-FR-CPRO-11..13: EJ obligations from the Directory [GOBL-CTC]",
        "medium (check) / low (label); UNCONFIRMED on the legacy flux",
        "The recipient {destinataire} manages legal commitments, and none of its EJs is "
        "numbered {valeur}.",
        "Cite the EJ number the buyer gave with the order (engagementsJuridiques/v1/rechercher "
        "lists yours; POST /_sandbox/engagements creates one).",
        "Le destinataire {destinataire} gère des engagements juridiques et aucun n'a le "
        "numéro {valeur}.",
        "Indiquez le numéro d'EJ donné par l'acheteur avec la commande (API Engagements "
        "juridiques).",
        soumettre="20530",
    ),
    Rule(
        "GES-12", MANAGEMENT, "the invoice number: 1 to 20 letters, digits, - _ / +",
        (*XML, "S"),
        "La valeur de l'element {element} n'est pas valide (20 caracteres au plus : lettres, "
        "chiffres, - _ / +).", "sandbox", EtatFlux.IN_REJETE,
        "varchar(20) and charset [CPP2017]; BR-FR-CPRO-02 (≤ 20) [GOBL-CTC]", "high / low",
        "The invoice number '{valeur}' is empty, longer than 20 characters or has other "
        "characters than letters, digits and - _ / +.",
        "Number the invoice with at most 20 letters, digits, - _ / +.",
        "Le numéro de facture « {valeur} » est vide, dépasse 20 caractères ou contient d'autres "
        "caractères que lettres, chiffres, - _ / +.",
        "Numérotez la facture avec 20 caractères au plus : lettres, chiffres, - _ / +.",
        soumettre="20507",
    ),
    Rule(
        "GES-13", MANAGEMENT, "a payment means code (BT-81), except on credit notes: CII "
        "SpecifiedTradeSettlementPaymentMeans/TypeCode; E1 UBL PaymentMeans/PaymentMeansCode "
        "(not E2 UBL minimal: see decisions)", ("UBL", "CII", "CII-MIN", "FACTURX"),
        "L'element {element} est obligatoire.", "attested (CII) [OCA-ISSUES] #414, #612",
        EtatFlux.IN_REJETE, "[OCA-ISSUES] #414, #612; [TS-CLIENT] (hard-coded code)",
        "high (CII) / high; UBL extrapolated, low",
        "The invoice has no payment means code (BT-81).",
        "Add the UNTDID 4461 code of the payment means (30 credit transfer, 58 SEPA...).",
        "La facture n'a pas de code de moyen de paiement (BT-81).",
        "Ajoutez le code UNTDID 4461 du moyen de paiement (30 virement, 58 SEPA...).",
    ),
    Rule(
        "GES-14", MANAGEMENT, "the cadre de facturation (BT-23): absent, it is A1 "
        "(A1_FACTURE_FOURNISSEUR); present, it must be A1, A2, A9 or A12, or a supplier's works "
        "cadre whose circuit needs no MOE: A5, A6, A8, A22, A23 (or their long names). CII "
        "BusinessProcessSpecifiedDocumentContextParameter/ID; UBL ProfileID, else the "
        "UBLExtensions CategoryCode; a URN or URL there (Peppol's ProfileID, a profile) is not "
        "a cadre", (*XML, "S"),
        "La valeur {valeur} de l'element {element} n'est pas un cadre de facturation valide "
        "(A1, A2, A5, A6, A8, A9, A12, A22 ou A23).", "sandbox", EtatFlux.IN_REJETE,
        "absent accepted: Tryton's live scenario and OCA #223/#237 (reference §1.4 1a); a "
        "present wrong value rejected live [TS-CLIENT]; works cadres: FR §6.5, the works "
        "circuit (docs/decisions.md)",
        "high (absent accepted), A1 default medium (UNCONFIRMED), works cadres by flux low, "
        "label low",
        "'{valeur}' is not a cadre de facturation a flux may carry (A1, A2, A9, A12; the "
        "works cadres A5, A6, A8, A22, A23; the works cadres that go through a MOE (A4, A7, "
        "A10, A11, A13, A14) and the MOE's and MOA's (A15-A20, A24, A25) are deposited with "
        "facturesTravaux/v1/soumettre, which names the MOE; the 2026 B/S/M billing modes are "
        "flux 2's).",
        "Write A1 (plain invoice), A2 (already paid), A9 (subcontractor), A12 (co-contractor), "
        "a works cadre without MOE (A5, A6, A8, A22, A23), or leave BT-23 out (A1).",
        "« {valeur} » n'est pas un cadre de facturation qu'un flux peut porter (A1, A2, A9, "
        "A12 ; les cadres de travaux A5, A6, A8, A22, A23 ; ceux qui passent par une maîtrise "
        "d'œuvre (A4, A7, A10, A11, A13, A14) et ceux de la MOE et de la MOA (A15 à A20, A24, "
        "A25) se déposent par facturesTravaux/v1/soumettre, qui nomme la MOE ; les modes "
        "B/S/M de 2026 sont ceux du flux 2).",
        "Indiquez A1 (facture), A2 (déjà payée), A9 (sous-traitant), A12 (cotraitant), un "
        "cadre de travaux sans MOE (A5, A6, A8, A22, A23), ou omettez BT-23 (A1).",
        soumettre="20507",
    ),
    Rule(
        "GES-15", MANAGEMENT, "every CII ApplicableTradeTax (each line's and the header's) has "
        "its VAT TypeCode and CategoryCode (optional in the XSD: a management rule); one error "
        "per missing element", CII_FAMILY, "L'element {element} est obligatoire.",
        "sandbox (label UNCONFIRMED, in the #414 style)", EtatFlux.IN_REJETE,
        "Tryton's live scenario: no UNECE codes -> 'exception', with codes -> 'done' "
        "(reference §1.4 1b)", "high / label low; IN_REJETE vs a QP_* state UNCONFIRMED",
        "This tax block has no {code} (TypeCode 'VAT', CategoryCode 'S', 'Z', 'E', 'AE'...).",
        "Give each ApplicableTradeTax its TypeCode (VAT) and its CategoryCode (UNTDID 5305).",
        "Ce bloc de taxe n'a pas de {code} (TypeCode « VAT », CategoryCode « S », « Z », « E », "
        "« AE »...).",
        "Donnez à chaque ApplicableTradeTax son TypeCode (VAT) et son CategoryCode (UNTDID 5305).",
    ),
    Rule(
        "GES-16", MANAGEMENT, "a CII line with a gross price (GrossPriceProductTradePrice) "
        "carries AppliedTradeAllowanceCharge/ActualAmount; one error per line", CII_FAMILY,
        "L'element (AppliedTradeAllowanceCharge.ActualAmount.value) est obligatoire si "
        "l'element (SupplyChainTradeTransaction.IncludedSupplyChainTradeLineItem."
        "SpecifiedLineTradeAgreement.GrossPriceProductTradePrice) est renseigne. ",
        "attested [OCA-ISSUES] #504, #536", EtatFlux.IN_REJETE,
        "#504 (2024-01, 'systematically'), #536 (2024-04); older success reports #223/#237 "
        "(2020) with the same shape: the rule probably came between", "medium / high",
        "This line gives a gross price without the allowance that leads to its net price.",
        "Add AppliedTradeAllowanceCharge (ChargeIndicator false, ActualAmount = gross - net, "
        "0.00 if none) in GrossPriceProductTradePrice, or leave the gross price out.",
        "Cette ligne donne un prix brut sans la remise qui mène au prix net.",
        "Ajoutez AppliedTradeAllowanceCharge (ChargeIndicator false, ActualAmount = brut - net, "
        "0.00 s'il n'y en a pas) dans GrossPriceProductTradePrice, ou omettez le prix brut.",
    ),
    Rule(
        "GES-17", MANAGEMENT, "an E2 UBL minimal carries the invoice as a PDF "
        "(AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject)", ("UBL-MIN",),
        "L'element {element} est obligatoire.", "sandbox", EtatFlux.IN_REJETE,
        "E2 = mixed flux, structured data + PDF (FR §7.1); [PHP-PISTE] template",
        "medium / none",
        "An E2 (mixed) flux carries the invoice's PDF, and this one has none.",
        "Embed the invoice PDF (base64, zipped as the template does) in "
        "AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject.",
        "Un flux E2 (mixte) porte le PDF de la facture, et celui-ci n'en a pas.",
        "Embarquez le PDF de la facture (base64, zippé comme le modèle) dans "
        "AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject.",
    ),
    Rule(
        "GES-18", MANAGEMENT, "the invoice number is not already used by this supplier (in the "
        "platform and earlier in the same flux)", (*XML, "S"),
        "Le numero de facture (balise : {element}) a deja ete utilise par ce fournisseur : la "
        "demande de paiement est un doublon.", "sandbox", EtatFlux.IN_REJETE,
        "'unique per supplier' [CPP2017]", "high / low; scope (per year?) open",
        "The supplier already has an invoice numbered {valeur}.",
        "Give each invoice a new number (a rejected invoice's number may be used again).",
        "Le fournisseur a déjà une facture numérotée {valeur}.",
        "Donnez à chaque facture un nouveau numéro (celui d'une facture rejetée peut resservir).",
        soumettre="20502",
    ),
    # --- the stricter judgement (a switch; never on by default) --------------------------
    Rule(
        "STR-EN16931", STRICT, "the official EN 16931 validation artefacts (ConnectingEurope "
        "validation-1.3.16, UBL or CII XSLT run by SaxonC-HE): every fatal assert rejects the "
        "invoice", ("UBL", "CII", "FACTURX"), "{id} : {texte}", "sandbox (the artefact's text)",
        EtatFlux.IN_REJETE, "not run on the legacy flux by the platform (reference §1.4 1d: "
        "Tryton's integrating invoice fails 26 of them)", "off by default",
        "The EN 16931 rule {id} fails: {texte}", "See the rule's text; the element is given.",
        "La règle EN 16931 {id} échoue : {texte}", "Voyez le texte de la règle ; l'élément est "
        "indiqué.",
    ),
    Rule(
        "STR-BR-FR", STRICT, "the French CIUS BR-FR flux-2 schematron (fnfempe/France_RFE V1.4, "
        "UBL or CII XSLT): every fatal assert rejects the invoice", ("UBL", "CII", "FACTURX"),
        "{id} : {texte}", "sandbox (the artefact's text)", EtatFlux.IN_REJETE,
        "flux 2 of the 2026 reform, not the legacy deposit [FRANCE-RFE]", "off by default",
        "The BR-FR rule {id} fails: {texte}", "See the rule's text; the element is given.",
        "La règle BR-FR {id} échoue : {texte}", "Voyez le texte de la règle ; l'élément est "
        "indiqué.",
    ),
    # --- attested, not simulated -----------------------------------------------------------
    Rule(
        "NS-IBAN", MANAGEMENT, "bank details: IBAN syntax, payment means vs account (EDI annex "
        "rules G1.16-G1.19)", XML, "(not public)", "—", "—",
        "changelog of the EDI annex V4.21 [SPEC-EDI]; OCA's 'Chorus Pro only accepts IBAN' "
        "pre-check [OCA]", "medium (rule exists) / none (content)",
        "", "", "", "", applied=False,
    ),
    Rule(
        "NS-G2.13", MANAGEMENT, "VAT regime (EDI annex rule G2.13)", XML, "(not public)", "—",
        "—", "changelog only [SPEC-EDI]", "none", "", "", "", "", applied=False,
    ),
    Rule(
        "NS-MONTANTS", MANAGEMENT, "amounts coherence (lines, VAT breakdown, totals)", XML,
        "(no rejection seen)", "—", "—", "no public rejection message (FR §7.3 item 7); "
        "STR-EN16931 checks them (BR-CO-xx) under the switch", "none", "", "", "", "",
        applied=False,
    ),
    Rule(
        "NS-CPRO", MANAGEMENT, "the 2026 B2G rules BR-FR-CPRO-01..44 (seller/buyer identifier "
        "schemes, lengths, S5 forbidden...), except those the table already has (CPRO-02 = "
        "GES-12, CPRO-11/13 = GES-06/07's reading of BT-46/0224)", XML,
        "(none published; REJ_CONT_B2G single-source)", "—", "—",
        "Annexe A sheet BR-France-CTC-CPRO via [GOBL-CTC], [DOLI-678]; no schematron; no "
        "evidence the legacy deposer/flux applies them (reference §1.4 1d)", "none on the "
        "legacy path", "", "", "", "", applied=False,
    ),
    Rule(
        "NS-E2-MIN-XSD", TECHNICAL, "the E2 minimal syntaxes' own XSDs (UBL invoice minimal, "
        "CII minimal)", ("UBL-MIN", "CII-MIN"), "ERR_XSD_001", "—", EtatFlux.IN_REJETE,
        "FR §7.1; the schemas are not public", "—", "", "", "", "", applied=False,
    ),
)

BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id`` (KeyError for an unknown id: a typo in a check)."""
    return BY_ID[rule_id]


def element(path: str) -> str:
    """``FichierXml.<path>.value``, as the attested libellés name an element."""
    return _e(path)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


GROUP_NAMES = {
    "UBL": "E1 UBL, PDF archive UBL", "UBL-MIN": "E2 UBL minimal", "CII": "E1 CII (16B), PDF "
    "archive CII", "CII-MIN": "E2 CII minimal", "FACTURX": "Factur-X", "NON-SIMULE":
    "PES, xCBL, CPP minimal", "S": "soumettre",
}


def markdown() -> str:
    """The table as Markdown (``docs/factures-rules.md`` holds exactly this)."""
    lines = [
        "<!-- Generated by sandbox.factures.rules.table.markdown() "
        "(python -m sandbox.factures.rules.table > docs/factures-rules.md); "
        "tests/test_factures_rules_doc.py keeps it equal. -->",
        "# The platform's checks of a deposited invoice",
        "",
        "One row per rule of `sandbox/factures/rules/table.py`, in the order the platform "
        "applies them: the envelope at once (`deposer/flux`'s answer), then the file's "
        "technical admissibility (the whole flux, `listeErreurTechnique`), then the "
        "management rules of each demande de paiement (`listeErreurDP`, every failing rule of "
        "one invoice `|`-joined), then, only under the switch, the stricter judgement. "
        "Where they come from and what each choice rests on: [factures.md](factures.md), "
        "[decisions.md](decisions.md). Syntax groups: " + "; ".join(
            f"{k} = {v}" for k, v in GROUP_NAMES.items()) + ".",
        "",
    ]
    for title, layer, applied in (
        ("Envelope (synchronous)", ENVELOPE, True),
        ("Technical admissibility (the whole flux)", TECHNICAL, True),
        ("Management rules (each invoice)", MANAGEMENT, True),
        ("The stricter judgement (switch: `strict`)", STRICT, True),
        ("Attested, not simulated", None, False),
    ):
        rows = [r for r in RULES if r.applied == applied and (layer is None or r.layer == layer)]
        lines += [f"## {title}", "",
                  "| id | checks | syntaxes | CR label | label | state | evidence | confidence |"
                  " soumettre |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            lines.append("| " + " | ".join(_cell(x) for x in (
                f"`{r.id}`", r.what, ", ".join(r.groups), f"`{r.label.strip()}`",
                r.label_source, r.state, r.evidence, r.confidence, r.soumettre or "—",
            )) + " |")
        lines.append("")
    lines += ["## Explanations (beyond the platform)", "",
              "What the control plane, the dashboard and the portal add to each error.", "",
              "| id | why | how to fix |", "|---|---|---|"]
    lines += [f"| `{r.id}` | {_cell(r.why)} | {_cell(r.fix)} |" for r in RULES if r.applied]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
