"""Request and response models of ``deposer/flux`` (factures-reference.md §3).

Field names are the wire's; unknown fields are ignored (PHP's misspelt ``syntaxFluxType``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sandbox.cpro.schemas import Request, Response
from sandbox.cpro.zero import MaybeId
from sandbox.vocabulary import (
    SyntaxeFlux,
)


class DeposerFluxParam(Request):
    """Body of POST /cpro/factures/v1/deposer/flux (DeposerFluxFactureParam)."""

    fichierFlux: str = Field(description="The file's bytes in base64 (RFC 4648, no line breaks).")
    nomFichier: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="File name with its extension (facture.xml, facture.pdf, lot.tar.gz)."
    )
    syntaxeFlux: SyntaxeFlux = Field(description="The flux syntax (13 values).")
    avecSignature: bool | None = Field(None, description="Optional; accepted and stored.")
    idUtilisateurCourant: MaybeId = Field(
        None, description="Optional (absent or 0: the account of cpro-account)."
    )


class DeposerFluxRetour(Response):
    numeroFluxDepot: str | None = Field(
        None, description="CPP001 + 4-digit interface number + 15-digit counter."
    )
    dateDepot: str | None = Field(None, description="YYYY-MM-DD (Paris).")
    syntaxeFlux: str | None = None
