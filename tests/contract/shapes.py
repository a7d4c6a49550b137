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

GO["factures/rechercher/demandePaiement"] = {**RET, "listeDemandePaiement": [{
    "cadreFacturation": "string", "dateDepot": "*Date", "etatCourant": "string",
    "idDemandePaiement": "int64", "idStructureFournisseur": "int64", "montantTTC": "float32",
    "numeroDemandePaiement": "string", "typeDemandePaiement": "string"}]}  # factures_recherches.go

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
    # OCA res_company.py _chorus_api_check_commitment_number: len(answer["liste..."])
    ("oca", "engagementsJuridiques/rechercher"): ["listeEngagementJuridique?:list"],
    # facturation_electronique chorus_pro.py obtenir_identifiant_cpro_depuis_siret
    ("facturation_electronique", "structures/rechercher"): [
        "parametresRetour.total:int", "listeStructures[].idStructureCPP:int"],
    # Pastell CPPWrapper.php getIdentifiantStructureCPPByIdentifiantStructure
    ("pastell", "structures/rechercher"): ["listeStructures[].idStructureCPP:int"],
    ("pastell", "structures/rechercher/services"): ["listeServices[].idService:int",
                                                    "parametresRetour.pages:int"],
    ("pastell", "structures/consulter/service"): ["codeRetour:int"],
    ("pastell", "transverses/recuperer/tauxtva"): ["codeRetour:int"],
    ("pastell", "transverses/recuperer/structures/actives/destinataire"): [
        "listeStructures[].idStructureCPP:int", "listeStructures[].designationStructure:str"],
}

# --- Factures (flux deposit, CR, supplier search and history) -------------------------

S = "string"
GO_ERREUR_DP = {"identifiantDestinataire": S, "identifiantFournisseur": S,
                "libelleErreurDP": S, "numeroDP": S}
GO.update({
    # factures_depots.go DeposerFluxFactureResponse
    "factures/deposer/flux": {"codeRetour": "int", "dateDepot": "*Date", "libelle": S,
                              "numeroFluxDepot": S, "syntaxeFlux": S},
    # transverses_flux.go CompteRendu
    "transverses/consulterCR": {
        "codeAppliPartenaire": S, "codeInterfaceFlux": S, "codeRetour": "int",
        "dateDepotFlux": "*time.Time", "dateHeureEtatCourantFlux": "*time.Time",
        "designationPartenaire": S, "etatCourantFlux": S, "fichierCR": S, "libelle": S,
        "nomFichierFlux": S, "numeroFluxDepot": S},
    # transverses_flux.go CompteRenduDetaille, ErreurDemandePaiement, ErreurTechnique
    "transverses/consulterCRDetaille": {
        "codeInterfaceDepotFlux": S, "codeRetour": "int32", "dateDepotFlux": "*time.Time",
        "dateHeureEtatCourantFlux": "*time.Time", "etatCourantDepotFlux": S, "libelle": S,
        "nomFichier": S, "listeErreurDP": [GO_ERREUR_DP],
        "listeErreurTechnique": [{"codeErreur": S, "libelleErreur": S, "natureErreur": S}]},
    # factures_recherches.go RechercherFactureParFournisseurResponse, FactureParFournisseur
    "factures/rechercher/fournisseur": {**RET, "parametresRetour": PAGE, "listeFactures": [{
        **{k: S for k in (
            "affactureurCode", "affactureurRaisonSociale", "affactureurTypeIdentifiant",
            "codeDestinataire", "codeFournisseur", "codeServiceExecutant",
            "codeServiceFournisseur", "codeValideur1", "codeValideur2",
            "commentaireEtatCourant", "designationDestinataire", "designationFournisseur",
            "devise", "modeDepot", "nomPrenomUtilisateurCreateur", "nomServiceExecutant",
            "nomServiceFournisseur", "nomValideur1", "nomValideur2", "numeroBonCommande",
            "numeroFacture", "numeroFactureOrigine", "numeroFluxDepot", "numeroMarche",
            "prenomValideur1", "prenomValideur2", "raisonSocialeValideur1",
            "raisonSocialeValideur2", "statut", "typeDemandePaiement", "typeFacture",
            "typeIdentifiantFournisseur", "typeIdentifiantValideur1",
            "typeIdentifiantValideur2")},
        "dateDepot": "*Date", "dateFacture": "*Date", "dateHeureEtatCourant": "*time.Time",
        "dateValidation1": "*Date", "dateValidation2": "*Date", "idDestinataire": "int64",
        "idServiceExecutant": "int64", "identifiantFactureCPP": "int64",
        "montantAPayer": "float32", "montantHT": "float32", "montantTTC": "float32",
        "rejetTraite": "bool", "taille": "int64"}]},
    # factures_consultations.go ConsulterFactureResponse / Facture (typed fields)
    "factures/consulter/fournisseur": {"codeRetour": "int", "libelle": S, "facture": {
        "identifiantFactureCPP": "int", "numeroFacture": S, "statutFacture": S,
        "modeDepot": S, "commentaire": S,
        "cadreDeFacturation": {"codeCadreFacturation": S, "dateValidation1": "*Date",
                               "dateValidation2": "*Date", "idMoa": "int64",
                               "idMoe": "int64", "idValideur1": "int64",
                               "idValideur2": "int64"},
        "destinataire": {"adresseDestinataireId": "int", "codeDestinataire": S,
                         "codeServiceExecutant": S, "idDestinataire": "int",
                         "idServiceExecutant": "int", "libelleDestinataire": S},
        "fournisseur": {"adresseFournisseurId": "int64", "codeFournisseur": S,
                        "coordBancairesFournisseurId": "int64", "idFournisseur": "int64",
                        "idServiceFournisseur": "int64", "designationFournisseur": S,
                        "affactureur": {"affactureurId": "int64", "affactureurCode": S}},
        "montantTotal": {"montantAPayer": "float32", "montantHtTotal": "float32",
                         "montantRemiseGlobaleTTC": "float32", "montantTVA": "float32",
                         "montantTtcAvantRemiseGlobalTTC": "float32",
                         "montantTtcTotal": "float32", "motifRemiseGlobaleTTC": S},
        "references": {"codeDeviseFacture": S, "dateCreationFacture": "*Datetime",
                       "dateDepot": "*Date", "dateEcheancePaiement": "*Date",
                       "dateFacture": "*Date", "modePaiement": S,
                       "tailleTotalePiecesJointes": "float32", "typeFacture": S,
                       "typeTva": S},
        "lignesDePoste": {"lignePoste": [{
            "lignePosteDenomination": S, "lignePosteMontantHtApresRemise": "float32",
            "lignePosteMontantRemiseHT": "float32", "lignePosteMontantTva": "float32",
            "lignePosteMontantUnitaireHT": "float32", "lignePosteNumero": "int",
            "lignePosteQuantite": "float32", "lignePosteTauxTva": S,
            "lignePosteUniteCode": "int", "lignePosteUniteLibelle": S}],
            "nbResultatsParPageLignesPoste": "int64", "pageCouranteLignesPoste": "int64",
            "pagesLignesPoste": "int64", "totalLignesPoste": "int64"},
        "recapitulatifDeTva": {"ligneTva": [{
            "ligneTvaMontantBaseHtParTaux": "float32", "ligneTvaMontantTvaParTaux": "float32",
            "ligneTvaTauxRefCode": S, "ligneTvaTauxRefId": "int",
            "ligneTvaTauxRefValeur": "float32"}]},
        "listeDesPiecesJointes": {"pieceJointe": [{
            "pieceJointeDesignation": S, "pieceJointeId": "int", "pieceJointeIdLiaison": "int",
            "pieceJointeNumeroLigneFacture": "int", "pieceJointeTypeCode": S}]},
        "pieceJointePrincipale": {"idLiaisonPieceJointePrincipale": "int",
                                  "idPieceJointePrincipale": "int"}}},
    # factures_depots.go SoumettreFactureResponse
    "factures/soumettre": {"codeRetour": "int", "dateDepot": "*Date",
                           "empreinteCertificatDepot": S, "identifiantFactureCPP": "int64",
                           "identifiantStructure": S, "libelle": S, "numeroFacture": S,
                           "statutFacture": S},
    # factures_consultations.go ConsulterHistoriqueFactureResponse
    "factures/consulter/historique": {
        "codeRetour": "int32", "libelle": S, "idFacture": "int64", "modeDepot": S,
        "numeroFacture": S, "statutCourantCode": S,
        "derniereAction": {"derniereActionCode": S, "derniereActionId": "int64"},
        "historiquesDesStatuts": {"histoStatut": [{
            "histoStatutCode": S, "histoStatutCommentaire": S,
            "histoStatutDatePassage": "*Datetime", "histoStatutId": "int32",
            "histoStatutUtilisateurEmail": S, "histoStatutUtilisateurNom": S,
            "histoStatutUtilisateurPrenom": S, "histoStatutUtilisateurTelephone": S}],
            "nbResultatsParPageHistoStatut": "int32", "pageCouranteHistoStatut": "int32",
            "pagesHistoStatut": "int32", "totalHistoStatut": "int32"},
        "historiquesDesActionsUtilisateurs": {"histoAction": [{
            "histoActionCode": S, "histoActionDateHeure": "*Datetime", "histoActionId": "int32",
            "histoActionUtilisateurEmail": S, "histoActionUtilisateurNom": S}],
            "nbResultatsParPageHistoAction": "int32", "pageCouranteHistoAction": "int32",
            "pagesHistoAction": "int32", "totalHistoAction": "int32"},
        "historiquesDesEvenementsComplementaires": {"evenement": [{
            "evenementDateHeure": "*Datetime", "evenementId": "int64",
            "evenementLibelle": S, "evenementQui": S}],
            "nbResultatsParPageEvenement": "int32", "pageCouranteEvenement": "int32",
            "pagesEvenement": "int32", "totalEvenement": "int32"}},
})

SYNTAXES_PHP = ["IN_DP_E1_UBL_INVOICE", "IN_DP_E1_CII", "IN_DP_E1_PES_FACTURE", "IN_DP_E1_XCBL",
                "IN_DP_E1_CII_16B", "IN_DP_E2_UBL_INVOICE_MIN", "IN_DP_E2_CII_MIN",
                "IN_DP_E2_PES_FACTURE_MIN", "IN_DP_E2_CPP_FACTURE_MIN", "IN_DP_E2_CII_FACTURX",
                "IN_DP_E2_CII_MIN_16B"]
MODES_DEPOT_PHP = ["SAISIE_WEB", "PORTAIL_PDF", "EDI_XML_STRUCT", "EDI_MIXTE", "EDI_PDF_ARCHIVE",
                   "SAISIE_PORTAIL", "SAISIE_API", "DEPOT_PDF_PORTAIL",
                   "DEPOT_PDF_SIGNE_PORTAIL", "DEPOT_PDF_API", "DEPOT_PDF_SIGNE_API", "EDI",
                   "UPLOAD_PORTAIL", "UPLOAD_API", "EDI_NUMERISATION"]
PHP.update({
    # WsRetourDeposerFluxFacture
    "factures/deposer/flux": {"numeroFluxDepot": ("string", False),
                              "dateDepot": ("datetime", False),
                              "syntaxeFlux": ("string", False, SYNTAXES_PHP)},
    # WsRetourConsulterCR
    "transverses/consulterCR": {
        **{k: ("string", False) for k in (
            "codeAppliPartenaire", "codeInterfaceFlux", "designationPartenaire",
            "etatCourantFlux", "fichierCR", "nomFichierFlux", "numeroFluxDepot")},
        "dateDepotFlux": ("datetime", False), "dateHeureEtatCourantFlux": ("datetime", False)},
    # WsRetourConsulterCRDetaille (+ ErreurDP, ErreurTechnique)
    "transverses/consulterCRDetaille": {
        "nomFichier": ("string", False), "dateDepotFlux": ("datetime", False),
        "codeInterfaceDepotFlux": ("string", False), "etatCourantDepotFlux": ("string", False),
        "dateHeureEtatCourantFlux": ("datetime", False),
        "listeErreurDP": ("[object]", False, {k: ("string", False) for k in (
            "identifiantFournisseur", "identifiantDestinataire", "numeroDP",
            "libelleErreurDP")}),
        "listeErreurTechnique": ("[object]", False, {k: ("string", False) for k in (
            "codeErreur", "libelleErreur", "natureErreur")})},
    # WsRetourConsulterHistoriqueFacture: historiquesDes* declared as [object]
    "factures/consulter/historique": {
        "idFacture": ("int", False), "numeroFacture": ("string", False),
        "modeDepot": ("string", False, MODES_DEPOT_PHP),
        "statutCourantCode": ("string", False),
        "historiquesDesStatuts": ("[object]", False, {}),
        "historiquesDesEvenementsComplementaires": ("[object]", False, {}),
        "historiquesDesActionsUtilisateurs": ("[object]", False, {}),
        "derniereAction": ("object", False, {})},
})

READS.update({
    # chorus-api responses/api_response.py: .get everywhere, lists mapped item.get(...)
    ("chorus-api", "factures/deposer/flux"): ["codeRetour?:int", "numeroFluxDepot?:str"],
    ("chorus-api", "factures/rechercher/fournisseur"): ["codeRetour?:int",
                                                        "listeFactures?[]:dict"],
    ("chorus-api", "transverses/consulterCR"): ["codeRetour?:int", "etatCourantFlux?:str"],
    ("chorus-api", "transverses/consulterCRDetaille"): [
        "codeRetour?:int", "listeErreurDP?[]:dict", "listeErreurTechnique?[]:dict"],
    # OCA account_move.py / wizard: numeroFluxDepot is the flow's name
    ("oca", "factures/deposer/flux"): ["numeroFluxDepot:str"],
    # OCA chorus_flow.py _chorus_api_consulter_cr (isinstance(list) checks, .get reads)
    ("oca", "transverses/consulterCRDetaille"): [
        "etatCourantDepotFlux?:str", "libelle?:str", "listeErreurTechnique?[].libelleErreur?:str",
        "listeErreurDP?[].numeroDP?:str", "listeErreurDP?[].libelleErreurDP?:str"],
    # OCA chorus_flow.py _chorus_api_rechercher_fournisseur
    ("oca", "factures/rechercher/fournisseur"): [
        "listeFactures?[].numeroFacture?:str", "listeFactures?[].identifiantFactureCPP?:int",
        "listeFactures?[].statut?:str"],
    # OCA account_move.py chorus_api_consulter_historique (idFacture compared, see "echo")
    ("oca", "factures/consulter/historique"): ["idFacture:int", "statutCourantCode:str"],
    # Tryton account.py InvoiceChorus.send: resp['codeRetour'], ['numeroFluxDepot'],
    # datetime.strptime(resp['dateDepot'], '%Y-%m-%d')
    ("tryton", "factures/deposer/flux"): ["codeRetour:int", "numeroFluxDepot:str",
                                          "dateDepot:date"],
    # Tryton account.py InvoiceChorus.update: resp['codeRetour'], resp['etatCourantFlux']
    ("tryton", "transverses/consulterCR"): ["codeRetour:int", "etatCourantFlux:str"],
    # Pastell CPPWrapper::getInfoByNumeroFluxDepot: $result['listeFactures'][0]
    ("pastell", "factures/rechercher/fournisseur"): ["listeFactures[]:dict"],
    # Pastell CPPWrapper::rechercheFactureParRecipiendaire: 20000 ends the loop, else
    # pageCourante and pages must be set (checked in decode(), see test module)
    ("pastell", "factures/telecharger/groupe"): ["fichierResultat:str"],
})

# --- Référentiel des Organisations (piste-gouv-fr WsRetour/ReferentielDesOrganisations) ----
# Every field optional (FieldDefinition without "requis"), enums checked with in_array,
# date-times through the six layouts; PieceJointeStructure's four fields are required.

_ORG_STRING = ("string", False)
_ORG_BOOL = ("bool", False)
_ORG_INT = ("int", False)
_ORG_DATE = ("datetime", False)
ORG_STRUCTURE = {
    **{k: _ORG_STRING for k in (
        "libelleOrganisation", "numeroTvaIntracommunautaire", "contactPrincipal",
        "organisationParent", "identifiant", "typeIdentifiant", "adresse",
        "complementAdresse1", "complementAdresse2", "codePostal", "ville", "pays",
        "adresseElectronique", "telephone", "uuid", "nomStructure", "prenomStructure",
        "numeroRcsStructure", "raisonSociale", "categorieJuridique", "categorieEntreprise")},
    **{k: _ORG_BOOL for k in (
        "estCentreGestionAgricole", "gestionNumeroEJOuCodeService", "recevoirCyclesViesEdi",
        "emetteurFluxEdi", "nonDiffusibleInsee", "numeroEjDoitEtreRenseigne",
        "codeServiceDoitEtreRenseigne", "statutMiseEnPaiementNestPasRemonte", "avecMOA",
        "estMOAUniquement")},
    **{k: _ORG_INT for k in ("numeroPacage", "categorieFournisseurMemoireId",
                             "categorieBeneficiaireId", "structureOrigine")},
    "typeOrganisation": ("string", False, ["private", "public"]),
    "status": ("string", False, ["active", "inactive", "activation in progress"]),
    "derniereMaj": _ORG_DATE,
}
ORG_SERVICE = {
    **{k: _ORG_STRING for k in (
        "libelle", "description", "codeService", "rattachementOrganisation", "adresse",
        "complementAdresse1", "complementAdresse2", "codePostal", "ville", "pays", "telephone",
        "uuid")},
    **{k: _ORG_DATE for k in ("dateCreation", "dateDebutActivation", "dateFinActivation",
                              "dateModification", "dateSuppression", "derniereMaj")},
    "etatService": ("string", False, ["ACTIF", "INACTIF", "SUPPRIME"]),
    "numeroEj": _ORG_BOOL,
}
ORG_PIECE_JOINTE = {"sizeBytes": ("int", True), "fileName": ("string", True),
                    "uuid": ("string", True), "contentType": ("string", True),
                    "attachmentData": ("string", False)}
# The class each operation's object (or each item of its array) is decoded into.
ORG_PHP = {
    "organisations/structures/{uuid}": ORG_STRUCTURE,
    "organisations/structures/{uuid}/services": ORG_SERVICE,
    "organisations/structures/{uuid}/pieces_jointes": ORG_PIECE_JOINTE,
    "organisations/structures/{uuid}/pieces_jointes/{uuidPJ}": ORG_PIECE_JOINTE,
    "organisations/structures/recherche": ORG_STRUCTURE,
    "organisations/services/{uuid}": ORG_SERVICE,
    # rechercherServiceOrganisation is typed WsRetourRechercherStructures in PHP: its items
    # are decoded as Structure (every field optional, so a Service passes)
    "organisations/services/recherche": ORG_STRUCTURE,
}


# Pastell: CPPWrapper::rechercheFactureTravaux's paging reads, then the item fields
# PortailFactureConnecteur::getListeFacturesTravaux reads (``?``: read with isset).
PASTELL_TRAVAUX = [
    "parametresRetour.pageCourante:int", "parametresRetour.pages:int",
    "listeFacturesTravaux[].idFactureTravaux:int",
    "listeFacturesTravaux[].identifiantFournisseur:str",
    "listeFacturesTravaux[].idDestinataire:int",
    "listeFacturesTravaux[].identifiantDestinataire:str",
    "listeFacturesTravaux[].typeIdentifiantFournisseur:str",
    "listeFacturesTravaux[].designationFournisseur:str",
    "listeFacturesTravaux[].idServiceExecutant?:int",
    "listeFacturesTravaux[].identifiantServiceExecutant?:str",
    "listeFacturesTravaux[].typeFactureTravaux?:str",
    "listeFacturesTravaux[].numeroFactureTravaux:str",
    "listeFacturesTravaux[].dateFactureTravaux?:str",
    "listeFacturesTravaux[].dateDepot?:str",
    "listeFacturesTravaux[].dateHeureEtatCourant?:str",
    "listeFacturesTravaux[].montantTTC:num",
    "listeFacturesTravaux[].statutFactureTravaux:str",
]
# The validator side (issue 21), go-choruspro's structs.
GO.update({
    # factures_recherches.go RechercherFactureParValideurResponse / FactureParValideur
    "factures/rechercher/valideur": {**RET, "parametresRetour": PAGE, "listeFactures": [{
        **{k: S for k in (
            "codeServiceExecutant", "codeServiceFournisseur", "codeServiceMoa",
            "codeServiceMoe", "designationDestinataire", "designationFournisseur",
            "designationMoa", "designationMoe", "designationValideur", "devise",
            "identifiantDestinataire", "identifiantFournisseur", "identifiantMoa",
            "identifiantMoe", "identifiantValideur", "nomServiceExecutant",
            "nomServiceFournisseur", "nomServiceMoa", "nomServiceMoe", "numeroEngagement",
            "numeroFacture", "numeroMarche", "statut", "typeDemandePaiement", "typeFacture",
            "typeFactureTravaux", "typeIdentifiantDestinataire", "typeIdentifiantFournisseur",
            "typeIdentifiantMoa", "typeIdentifiantMoe", "typeIdentifiantValideur")},
        **{k: "int64" for k in (
            "idDestinataire", "idFacture", "idFournisseur", "idMoa", "idMoe",
            "idServiceExecutant", "idServiceMoa", "idServiceMoe", "idValideur")},
        **{k: "float32" for k in ("montantAPayer", "montantHT", "montantTTC")},
        "dateDepot": "*Date", "dateFacture": "*Date"}]},
    # factures_consultations.go ConsulterFactureParValideur: the ConsulterFactureResponse
    "factures/consulter/valideur": GO["factures/consulter/fournisseur"],
    # factures_traitements.go TraiterFactureAValiderResponse
    "factures/traiter/factureAValider": {
        "codeRetour": "int", "dateTraitement": "*Date", "idFacture": "int64", "libelle": S,
        "numeroFacture": S, "statutFacture": S},
    # factures_misc.go RecupererStatutsVisiblesParValideurResponse
    "factures/recuperer/statutsFactureVisibles/valideur": {
        "codeRetour": "int64", "libelle": S, "listeStatutFacture": [{"codeStatutFacture": S}]},
    # factures_depots.go CorrigerValideurFactureResponse
    "factures/corriger/valideur/facture": {"codeRetour": "int32", "idFacture": "int64",
                                           "libelle": S},
})
