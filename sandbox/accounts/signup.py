"""Signup ("Créer un compte"): a pending account, and its structure or its demande.

A signup creates the user (``EN_ATTENTE_ACTIVATION``) and either a new structure of
which he is the gestionnaire principal, or a demande de rattachement
(``EN_COURS_DE_VALIDATION``) to the existing structure of that identifier, whose
gestionnaire is mailed. The new user gets the summary mail and an activation link.
Bad input changes nothing: ``ValidationErrors`` carries a French message per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox import clock, db
from sandbox.accounts import rights, validation
from sandbox.accounts.activation import link_lifetime, new_activation_link
from sandbox.accounts.errors import ValidationErrors
from sandbox.accounts.validation import SignupData
from sandbox.builders import new_structure
from sandbox.config import Settings
from sandbox.mail.senders import send_rattachement_request_email, send_signup_summary_email
from sandbox.models import Rattachement, Structure, User
from sandbox.vocabulary import (
    Role,
    StatutRattachement,
    StatutStructure,
    StatutUtilisateur,
    TypeIdentifiant,
)

__all__ = ["SignupResult", "signup"]


@dataclass
class SignupResult:
    """What a signup created and which mails it sent (kinds, in order)."""

    user: User
    structure: Structure
    rattachement: Rattachement
    created_structure: bool
    mails: list[str] = field(default_factory=list)
    activation_link: str = ""


def signup(s: Session, settings: Settings, data: dict[str, Any]) -> SignupResult:
    """Create a pending account and its structure, or its demande de rattachement.

    Raises ``ValidationErrors`` (a French message per field) and changes nothing
    when the input is not acceptable.
    """
    for attempt in range(2):
        try:
            return _signup_once(s, settings, data)
        except IntegrityError:
            # Lost a race (same login or same new identifier on PostgreSQL):
            # the second attempt sees the winner's rows and answers accordingly.
            s.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


# Built once, values bound at each run: building a statement cost about as much CPU as
# running it (docs/performance.md, issue 24.4).
_LOGIN_TAKEN = select(User.id).where(User.login == bindparam("login"))
_STRUCTURE_OF = select(Structure).where(
    Structure.type_identifiant == bindparam("type_identifiant"),
    Structure.identifiant == bindparam("identifiant"),
)


def _errors(s: Session, v: SignupData, errors: dict[str, str]) -> Structure | None:
    """Add the errors that need the database; return the existing structure, if any."""
    if "login_email" not in errors and s.scalar(_LOGIN_TAKEN, {"login": v.login_email}):
        errors["login_email"] = (
            "Un compte existe déjà avec cette adresse électronique de connexion."
        )
    structure: Structure | None = None
    identified = "identifiant" not in errors and "type_identifiant" not in errors
    if identified:
        structure = s.scalar(_STRUCTURE_OF, {"type_identifiant": v.type_identifiant,
                                             "identifiant": v.identifiant})
    if structure is None:
        if identified and v.type_identifiant == TypeIdentifiant.SIRET:
            # Existing (data-set) SIRETs pass whatever their key; new ones need it.
            problem = validation.siret_key_error(v.identifiant)
            if problem:
                errors["identifiant"] = problem
        for name, message in validation.structure_errors(v).items():
            errors.setdefault(name, message)
    elif structure.statut != StatutStructure.ACTIF:
        errors["identifiant"] = (
            "Cette structure est inactive : aucune demande de rattachement n'est possible."
        )
    return structure


def _new_structure(v: SignupData, now: datetime) -> Structure:
    particulier = v.type_identifiant == TypeIdentifiant.PARTICULIER
    return new_structure(
        type_identifiant=v.type_identifiant,
        identifiant=v.identifiant,
        now=now,
        raison_sociale="" if particulier else v.raison_sociale,
        libelle=None if particulier else v.raison_sociale,
        nom=v.structure_nom if particulier else None,
        prenom=v.structure_prenom if particulier else None,
        email=v.email_contact,
        adresse=v.adresse,
        complement_adresse_1=v.complement_adresse_1 or None,
        complement_adresse_2=v.complement_adresse_2 or None,
        code_postal=v.code_postal,
        ville=v.ville,
        pays=v.pays,
    )


def _signup_once(s: Session, settings: Settings, data: dict[str, Any]) -> SignupResult:
    cleaned = validation.clean_signup(data)
    v, errors = cleaned.values, dict(cleaned.errors)
    with db.unit_of_work(s):
        structure = _errors(s, v, errors)
        if errors:
            raise ValidationErrors(errors)

        now = clock.utcnow_naive()
        user = User(
            login=v.login_email,
            prenom=v.prenom,
            nom=v.nom,
            telephone=v.telephone or None,
            email_contact=v.email_contact,
            statut=StatutUtilisateur.EN_ATTENTE_ACTIVATION,
            is_technical=False,
            failed_logins=0,
            created_at=now,
        )
        s.add(user)
        created = structure is None
        gestionnaire: User | None = None
        if structure is None:
            structure = _new_structure(v, now)
            s.add(structure)
            s.flush()
            rattachement = Rattachement(
                user_id=user.id,
                structure_id=structure.id,
                role=Role.GESTIONNAIRE_PRINCIPAL,
                statut=StatutRattachement.VALIDEE,
                created_at=now,
                decided_at=now,
            )
        else:
            s.flush()
            gestionnaire = rights.gestionnaire_principal(s, structure.id, validated=False)
            rattachement = Rattachement(
                user_id=user.id,
                structure_id=structure.id,
                role=Role.UTILISATEUR,
                statut=StatutRattachement.EN_COURS_DE_VALIDATION,
                created_at=now,
            )
        s.add(rattachement)
        s.flush()

        lifetime = link_lifetime(settings)
        summary = send_signup_summary_email(
            s,
            settings,
            user,
            structure,
            created_structure=created,
            gestionnaire_informed=gestionnaire is not None,
            link_lifetime=lifetime,
            libelle_type_identifiant=validation.LIBELLES_TYPE_IDENTIFIANT[
                structure.type_identifiant
            ],
        )
        link = new_activation_link(s, settings, user, lifetime, first=True)
        mails = [summary.kind, "activation"]
        if gestionnaire is not None:
            demande = send_rattachement_request_email(s, settings, gestionnaire, user, structure)
            mails.append(demande.kind)
    return SignupResult(
        user=user,
        structure=structure,
        rattachement=rattachement,
        created_structure=created,
        mails=mails,
        activation_link=link,
    )
