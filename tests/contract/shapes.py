"""The response shapes the public clients decode, transcribed as data (see decoders.py).

GO: go-choruspro's response structs (file named on each), field -> Go type.
PHP: piste-gouv-fr's ``WsRetour`` FieldDefinitions (``src/Api/ChorusPro/WsRetour/``).
READS: the paths OCA (l10n_fr_chorus_account 16.0), chorus-api 1.0.6 and Pastell
(connecteur/cpp/lib/CPPWrapper.php) index in the answer.
"""

from __future__ import annotations

RET = {"codeRetour": "int32", "libelle": "string"}
PAGE = {"nbResultatsParPage": "int", "pageCourante": "int", "pages": "int", "total": "int"}
ADRESSE = {k: "string" for k in (
    "adresse", "codePostal", "complementAdresse1", "complementAdresse2", "fax", "indicatifFax",
    "indicatifTelephone", "pays", "telephone", "ville")}
ACTIVES = {**RET, "listeStructures": [
    {"designationStructure": "string", "idStructureCPP": "int64", "identifiant": "string"}]}
CATEGORIE = {"codeCategorie": "string", "libelleCategorie": "string",
             "idTechniqueCategorie": "int64"}

GO = {
    # structures_recherches.go
    "structures/rechercher": {**RET, "listeStructures": [{
        "designationStructure": "string", "idStructureCPP": "int64",
        "identifiantStructure": "string", "statut": "string",
        "typeIdentifiantStructure": "string"}], "parametresRetour": PAGE},
    "structures/rechercher/services": {**RET, "listeServices": [{
        "codeService": "string", "estActif": "bool", "idService": "int64",
        "libelleService": "string", "statutService": "string"}], "parametresRetour": PAGE},
    # structures_consultations.go
    "structures/consulter": {**RET, "adressePostaleDuSiege": ADRESSE, "informationGenerales": {
        "dateExpirationMotPasseCompteTech": "*time.Time", "emailStructure": "string",
        "estValideurDeleguee": "bool", "idStructureCPP": "int64", "idStructureOrigine": "int64",
        "identifiantStructure": "string", "libelleStructure": "string",
        "listeStructureDupliquees": [{"structureDupliquee": "int64"}], "nomStructure": "string",
        "numeroRcsStructure": "string", "numeroTVA": "string", "prenomStructure": "string",
        "raisonSocialeStructure": "string", "structurePriveePublique": "string",
        "typeIdentifiantStructure": "string"}, "parametres": {k: "bool" for k in (
            "codeServiceDoitEtreRenseigne", "connexionEDI", "estMoaUniquement",
            "estValideurDelegue", "gestionNumeroEJOuCodeService", "getaMoa",
            "nonDiffusibleInsee", "numeroEJDoitEtreRenseigne", "recevoirDonneesViaEDI",
            "statutMiseEnPaiementNestPasRemonte")}},
    "structures/consulter/service": {**RET, "adressePostale": ADRESSE, "informationsGenerales": {
        "codeService": "string", "descriptionService": "string", "nomService": "string"},
        "parametres": {"dateCreation": "*Datetime", "dateDebutValidite": "*Datetime",
                       "dateFinValidite": "*Datetime", "dateModification": "*Datetime",
                       "miseEnPaiement": "bool", "numeroEngagement": "bool"}},
    # structures_rattachements.go
    "structures/lister/rattachementsutilisateur": {
        **RET, "designationStructure": "string", "idStructure": "int64",
        "identifiantStructure": "string", "premierService": "bool", "parametresRetour": PAGE,
        "listeServices": [{"codeService": "string", "commentaire": "string",
                           "dateDebut": "*time.Time", "dateFin": "*time.Time",
                           "idRattachement": "int64", "idService": "int64",
                           "nomService": "string", "statutRattachement": "string"}]},
    # utilisateurs_rattachements.go
    "utilisateurs/monCompte/recuperer/rattachements": {**RET, "parametresRetour": PAGE,
        "listeStructureRattachement": [{
            "designationStructure": "string", "idRattachementStructure": "int64",
            "idStructure": "int64", "identifiantStructure": "string",
            "roleUtilisateur": "string", "statutRattachementStructure": "string",
            "statutUtilisateur": "string", "typeIdentifiantStructure": "string",
            "listeServicesRattache": [{
                "codeService": "string", "dateDbtService": "*Datetime",
                "dateFinService": "*Datetime", "estActif": "bool",
                "idRattachementService": "int", "idService": "int",
                "libelleService": "string", "statutRattachementService": "string",
                "statutService": "string"}]}]},
    # transverses_misc.go
    "transverses/health-check": {"body": "string", "statusCodeValue": "int",
                                 "statusCode": "string"},
    "transverses/recuperer/devises": {**RET, "listeDevises": [
        {"codeDevise": "string", "libelleDevise": "string"}]},
    "transverses/recuperer/pays": {**RET, "listePays": [
        {"codePays": "string", "libellePays": "string"}]},
    "transverses/telecharger/annuaire/destinataire": {**RET, "fichierResultat": "string"},
    "transverses/recuperer/modedepot": {**RET, "listeModeDepot": [{"modeDepot": "string"}]},
    "transverses/recuperer/motifs/refus/Facture/AValider": {**RET,
        "listeMotifRefusFactureAValider": [
            {"idMotif": "int64", "codeMotif": "string", "libelleMotif": "string"}]},
    "transverses/recuperer/modereglements": {**RET, "listeModePaiement": [
        {"modePaiement": "string"}]},
    "transverses/recuperer/cadrefacturation": {**RET, "listeCadreFacturation": [
        {"codeCadreFacturation": "string"}]},
    "transverses/recuperer/coordbanc/valides": {**RET, "listeCoordonneeBancaire": [
        {"idCoordonneeBancaire": "int64", "nomCoordonneeBancaire": "string"}]},
    # transverses_structures.go
    "transverses/recuperer/structures/actives/fournisseur": ACTIVES,
    "transverses/recuperer/structures/actives/destinataire": ACTIVES,
    "transverses/recuperer/structures/actives/facturetravaux": ACTIVES,
    "transverses/consulter/information/siret": {**RET, **{k: "string" for k in (
        "adresse", "categorieEntreprise", "categorieJuridique", "civilite",
        "dateCreationEntreprise", "dateCreationEtablissement", "dateReactivationEtablissement",
        "localisationSiege", "numeroInterneClassement", "raisonSociale", "siege", "siren",
        "siret", "siretPredecesseurSuccesseur")}, "estActif": "bool",
        "nonDiffusibleInsee": "bool"},
    "transverses/rechercher/destinataire": {**RET, "parametresRetour": PAGE,
        "listeDestinataires": [{"idStructureCPP": "int64", "siret": "string",
                                "nomDestinataire": "string", "adresseCodePostal": "string",
                                "adresseVille": "string"}]},
    # transverses_tva.go
    "transverses/recuperer/tauxtva": {**RET, "listeTauxTva": [
        {"codeTauxTva": "string", "libelleTauxTva": "string", "valeurTauxTva": "float32"}]},
    "transverses/recuperer/motifs/exonerationtva": {**RET, "listeMotifsExonerationTva": [
        {"codeMotifExonerationTva": "string", "libelleMotifExonerationTva": "string"}]},
    # transverses_types.go
    "transverses/recuperer/typedp": {**RET, "listeTypeDemandePaiement": [
        {"typeDemandePaiement": "string"}]},
    "transverses/recuperer/typefacturetravaux": {**RET, "listeTypeFactureTravaux": [
        {"typeFactureTravaux": "string"}]},
    "transverses/recuperer/typeidentifiant/structure": {**RET, "listeTypeIdentifiant": [
        {"typeIdentifiantStructure": "string"}]},
    # transverses_etats.go
    "transverses/recuperer/etat/typedp": {**RET, "listeEtatDemandePaiement": [
        {"etatDemandePaiement": "string"}]},
    # transverses_flux.go
    "transverses/recuperer/formatflux": {**RET, "listeFormatFlux": [{"formatFlux": "string"}]},
    # transverses_pieces_jointes.go
    "transverses/recuperer/typespj": {**RET, "listeTypePieceJointe": [{
        "codeTypePieceJointe": "string", "libelleTypePieceJointe": "string",
        "idTypePieceJointe": "int64", "typeObjet": "string"}]},
    # transverses_categories.go
    "transverses/rechercher/categorieSollicitation": {**RET, "parametresRetour": PAGE,
        "listeCategories": [CATEGORIE]},
    "transverses/rechercher/sousCategorieSollicitation": {**RET, "parametresRetour": PAGE,
        "listeSousCategories": [{"categorie": [CATEGORIE], "ssCategorie": [{
            "code": "string", "dateCreation": "*time.Time",
            "dateDerniereModification": "*time.Time", "estActif": "bool",
            "idTechniqueCategorie": "int64", "libelle": "string"}]}]},
}

TYPES_IDENTIFIANT = ["SIRET", "UE_HORS_FRANCE", "HORS_UE", "RIDET", "TAHITI", "AUTRE",
                     "PARTICULIER"]
P_PAGE = {k: ("int", False) for k in ("pageCourante", "pages", "nbResultatsParPage", "total")}
P_PAGED = {k: ("int", True) for k in ("nbResultatsParPage", "pageCourante", "pages", "total")}

PHP = {
    # WsRetourRechercherStructure + StructureAAfficher + ParametresRetour
    "structures/rechercher": {
        "listeStructures": ("[object]", True, {
            "idStructureCPP": ("int", False), "typeIdentifiantStructure":
            ("string", False, TYPES_IDENTIFIANT), "identifiantStructure": ("string", False),
            "designationStructure": ("string", False),
            "statut": ("string", False, ["ACTIVE", "INACTIVE"])}),
        "parametresRetour": ("object", True, P_PAGE)},
    # WsRetourRechercherServicesStructure + ServiceExpose
    "structures/rechercher/services": {
        "listeServices": ("[object]", True, {k: ("string", False) for k in (
            "idService", "codeService", "libelleService", "statutService", "estActif")}),
        "parametresRetour": ("object", True, P_PAGE)},
    "transverses/recuperer/formatflux": {**P_PAGED, "listeFormatFlux": ("[object]", True, {
        "formatFlux": ("string", True, ["IN_DP_E1_STRUCT", "IN_DP_E2_MIXTE",
                                        "IN_DP_E2_FACTURX"])})},
    "transverses/recuperer/modedepot": {**P_PAGED, "listeModeDepot": ("[object]", True, {
        "modeDepot": ("string", False)})},
    "transverses/recuperer/motifs/exonerationtva": {**P_PAGED, "listeMotifsExonerationTva": (
        "[object]", True, {"codeMotifExonerationTva": ("string", True),
                           "libelleMotifExonerationTva": ("string", True)})},
    "transverses/recuperer/pays": {"listePays": ("[object]", True, {
        "codePays": ("string", False), "libellePays": ("string", False)})},
    "transverses/recuperer/devises": {"listeDevises": ("[object]", True, {
        "codeDevise": ("string", False), "libelleDevise": ("string", False)})},
    "transverses/telecharger/annuaire/destinataire": {"fichierResultat": ("string", False)},
    "transverses/recuperer/structuresPourUtilisateur": {"listeStructures": ("[object]", True, {
        "idStructure": ("int", False), "identifiantStructure": ("string", False),
        "designationStructure": ("string", False),
        "typeIdentifiantStructure": ("string", False, TYPES_IDENTIFIANT)})},
    "transverses/recuperer/structures/actives/fournisseur": {**P_PAGE, "listeStructures": (
        "[object]", True, {"idStructureCPP": ("int", False), "identifiant": ("string", False),
                           "designationStructure": ("string", False)})},
    "transverses/recuperer/coordbanc/valides": {**P_PAGE, "listeCoordonneeBancaire": (
        "[object]", True, {"idCoordonneeBancaire": ("int", False),
                           "nomCoordonneeBancaire": ("string", False)})},
    "transverses/rechercher/serviceexecutant": {
        "listeServices": ("[object]", True, {"idServicesCPP": ("int", False),
                                             "codeServiceExecutant": ("string", False),
                                             "nomServiceExecutant": ("string", False)}),
        "parametresRetour": ("object", True, P_PAGE)},
    "transverses/health-check": {"body": ("string", False), "statusCodeValue": ("int", False)},
}

READS = {
    # OCA res_partner.py fr_chorus_api_structures_rechercher
    ("oca", "structures/rechercher"): ["listeStructures?[].idStructureCPP?:int"],
    # OCA res_partner.py fr_chorus_api_consulter (parametres -> required info)
    ("oca", "structures/consulter"): [f"parametres?.{k}?:bool" for k in (
        "gestionNumeroEJOuCodeService", "codeServiceDoitEtreRenseigne",
        "numeroEJDoitEtreRenseigne")],
    # OCA res_partner.py fr_chorus_api_rechercher_services: int(srv.get("idService"))
    ("oca", "structures/rechercher/services"): [
        "codeRetour:int", "listeServices?[].codeService?:str", "listeServices?[].idService:int",
        "listeServices?[].libelleService?:str", "listeServices?[].estActif?:bool"],
    # chorus-api responses/api_response.py: nested objects through .get(name, {})
    ("chorus-api", "structures/consulter"): [
        "codeRetour?:int", "libelle?:str", "adressePostaleDuSiege?:dict",
        "informationGenerales?:dict", "parametres?:dict",
        "informationGenerales?.listeStructureDupliquees?:list"],
    ("chorus-api", "structures/rechercher"): ["codeRetour?:int", "listeStructures?:list",
                                              "listeStructures?[]:dict"],
    ("chorus-api", "structures/rechercher/services"): ["listeServices?[]:dict"],
    ("chorus-api", "transverses/recuperer/devises"): ["listeDevises?[]:dict"],
    ("chorus-api", "transverses/health-check"): ["body?:str", "statusCodeValue?:int"],
    ("chorus-api", "transverses/telecharger/annuaire/destinataire"): ["fichierResultat?:str"],
    ("chorus-api", "transverses/consulter/information/siret"): ["codeRetour?:int"],
    # Pastell CPPWrapper.php getIdentifiantStructureCPPByIdentifiantStructure
    ("pastell", "structures/rechercher"): ["listeStructures[].idStructureCPP:int"],
    ("pastell", "structures/rechercher/services"): ["listeServices[].idService:int",
                                                    "parametresRetour.pages:int"],
    ("pastell", "structures/consulter/service"): ["codeRetour:int"],
    ("pastell", "transverses/recuperer/tauxtva"): ["codeRetour:int"],
    ("pastell", "transverses/recuperer/structures/actives/destinataire"): [
        "listeStructures[].idStructureCPP:int", "listeStructures[].designationStructure:str"],
}
