"""The table of the automatic lifecycle policies (the engine: ``policies.py``).

Kept apart, with no dependency on the API layer, so that ``models.py`` can import it and
``db.create_schema`` creates it with the other Factures tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.models import Base, BigId

ANY = "*"


class LifecyclePolicy(Base):
    """One automatic move: recipient (or ``*``), from status, to status, delay."""

    __tablename__ = "facture_policies"
    __table_args__ = (UniqueConstraint("scope", "from_statut", name="uq_facture_policy"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # "*" or the structure id
    destinataire_id: Mapped[int | None] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE")
    )
    from_statut: Mapped[str] = mapped_column(String(60))
    to_statut: Mapped[str] = mapped_column(String(60))
    delay_seconds: Mapped[float] = mapped_column(Float)
    motif: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime)
