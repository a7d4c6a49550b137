"""Write the seeded world to the database: reset, streamed seed, canonical dump.

``reset`` deletes every row (outbox included) and bulk-inserts a baseline built
once per process and cached, so it is cheap enough to run before each test. The
streamed seed (``seed_world``) generates and inserts batch by batch, committing
each, so its memory stays bounded whatever the number of structures.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

from sandbox import db, schema, state
from sandbox.config import Settings
from sandbox.models import (
    Base,
    EngagementJuridique,
    SandboxState,
    Service,
    Structure,
    drop_name_search,
    install_name_search,
    refresh_public_tally,
)
from sandbox.seeding.engagements import seed_engagements
from sandbox.seeding.generator import PERMANENT_SIRETS, TABLES, Batch, WorldGenerator
from sandbox.seeding.invoices import seed_invoices
from sandbox.seeding.scenarios import seed_scenarios
from sandbox.vocabulary import TypeIdentifiant

# Tables a reset leaves alone: the run-time controls (clock offset, faults) belong
# to the control plane, which restores them itself.
KEPT_TABLES = frozenset({"sandbox_state", "sandbox_epoch"})
# Seeded with explicit ids besides the world's TABLES (their sequences are moved past them).
ENGAGEMENT_TABLES = ("engagements_juridiques", "engagement_postes")
# Seeded through their id sequence (after clear(): empty), restarted at each reset.
SEQUENCE_SEEDED_TABLES = ("facture_policies",)
# Baselines up to this many structures are cached in memory for fast resets.
CACHE_LIMIT = 20_000
# PostgreSQL: above this many structures a reset empties the tables with TRUNCATE (clear).
TRUNCATE_ABOVE = 1_000

_cache: dict[tuple[int, int, int | None], Batch] = {}
_cache_lock = threading.Lock()


def baseline(seed: int, structures: int, users: int | None = None) -> Batch:
    """The whole seeded world of ``seed`` as one batch (built once per process)."""
    key = (seed, structures, users)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            generator = WorldGenerator(seed, structures, users)
            cached = generator.fixed()
            for batch in generator.batches(size=max(structures, 1)):
                cached.extend(batch)
            if structures <= CACHE_LIMIT:
                _cache[key] = cached
        return cached


def insert_batch(conn: Connection, batch: Batch) -> None:
    """Bulk-insert a batch (parents first); on PostgreSQL with COPY (``_copy_rows``)."""
    tables = Base.metadata.tables
    for name in TABLES:
        rows = batch.rows[name]
        if rows and conn.dialect.name == "postgresql":
            _copy_rows(conn, name, rows)
        elif rows:
            conn.execute(insert(tables[name]), rows)


def _copy_rows(conn: Connection, name: str, rows: list[dict]) -> None:
    """PostgreSQL: ``COPY name FROM STDIN`` of ``rows`` (all with the same keys) on the
    connection's own transaction: several times faster than an executemany of INSERTs.
    The seeded columns are plain strings, numbers, booleans and datetimes (no JSON, no
    SQLAlchemy type that converts on the way in); enums are written as their values."""
    quote = conn.dialect.identifier_preparer.quote
    columns = list(rows[0])
    statement = (f"COPY {quote(name)} ({', '.join(quote(c) for c in columns)}) "
                 "FROM STDIN")
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_copy_value(row[c]) for c in columns])


def _copy_value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def clear(conn: Connection) -> None:
    """Delete every row of every table but the run-time controls (children first).

    PostgreSQL, above ``TRUNCATE_ABOVE`` structures: one TRUNCATE. A DELETE checks each
    deleted parent's foreign keys against its children's rows (no index on most referencing
    columns; dead rows included until the transaction ends): a reset of 10,000 structures
    took 98 s, of 20,000 over two minutes, of a million hours. The default seed (200) keeps
    the DELETE.
    TRUNCATE locks the tables until the reset commits (readers wait, as they wait for the
    new data anyway) and fires no row trigger (``refresh_public_tally`` follows the load)."""
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    if conn.dialect.name == "postgresql" and conn.execute(
            select(func.count()).select_from(
                select(Structure.id).limit(TRUNCATE_ABOVE + 1).subquery())).scalar_one() \
            > TRUNCATE_ABOVE:
        conn.execute(Truncate(tables))
        return
    for table in tables:
        conn.execute(table.delete())


class Truncate(ExecutableDDLElement):
    """``TRUNCATE`` of several tables in one statement (SQLAlchemy has no such construct):
    the tables' names are written by the dialect's own quoting, never from strings."""

    def __init__(self, tables: list[Table]) -> None:
        self.tables = tables


@compiles(Truncate, "postgresql")
def _compile_truncate(element: Truncate, compiler: DDLCompiler, **kw: object) -> str:
    return "TRUNCATE " + ", ".join(compiler.preparer.format_table(t) for t in element.tables)


def _fix_sequences(conn: Connection) -> None:
    """PostgreSQL: move each id sequence past the explicit ids just inserted."""
    if conn.dialect.name != "postgresql":
        return
    for name in (*TABLES, *ENGAGEMENT_TABLES):  # the tables seeded with explicit ids
        table = Base.metadata.tables[name]
        highest = select(func.max(table.c.id)).scalar_subquery()
        conn.execute(select(func.setval(
            func.pg_get_serial_sequence(name, "id"), func.coalesce(highest, 0) + 1, False)))


def _restart_sequences(conn: Connection) -> None:
    """PostgreSQL: start again at 1 the sequences of the emptied tables that the seed fills
    through their sequence (the scenario recipients' policies), so that a reset writes the
    same ids each time, as SQLite does (its next id is the highest + 1)."""
    if conn.dialect.name != "postgresql":
        return
    for name in SEQUENCE_SEEDED_TABLES:
        conn.execute(select(func.setval(func.pg_get_serial_sequence(name, "id"), 1, False)))


def _record_seed(s: Session, seed: int) -> None:
    row = s.get(SandboxState, 1)
    if row is None:
        s.add(SandboxState(id=1, clock_offset_seconds=0.0, faults={}, maintenance=False, seed=seed))
    else:
        row.seed = seed


def reset(settings: Settings, seed: int | None = None,
          also: Callable[[Session], None] | None = None) -> dict:
    """Bring the database back to the seeded baseline (and empty the outbox).

    One transaction that starts by bumping the reset epoch (``state.bump_epoch``: no
    background pass that read the data of before writes after it) and runs ``also(s)``
    (the control plane puts the clock and the faults back) with the data, so nothing is
    ever seen with the new data and the old clock."""
    seed = settings.seed if seed is None else seed
    started = time.perf_counter()
    db.init_engine(settings.database_url)
    schema.create_schema()
    if settings.seed_structures > CACHE_LIMIT:
        return seed_world(settings, seed, settings.seed_structures, also=also)
    world = baseline(seed, settings.seed_structures)

    def replace_content() -> None:
        with db.transaction() as s:
            state.bump_epoch(s)  # first: the background writers of before stop here
            if also is not None:
                also(s)
            conn = s.connection()
            drop_name_search(conn)  # rebuilt in one statement after the bulk insert
            clear(conn)
            insert_batch(conn, world)
            seed_invoices(conn, seed)
            seed_engagements(conn, seed)
            _restart_sequences(conn)
            seed_scenarios(s, seed)  # after every other seeded row: no seeded id moves
            _fix_sequences(conn)
            install_name_search(conn)
            refresh_public_tally(conn)
            _record_seed(s, seed)

    db.retry_on_conflict(replace_content)  # the background loops may hold row locks
    counts = world.count()
    return {
        "seed": seed,
        **counts,
        "seconds": round(time.perf_counter() - started, 3),
    }


def seed_world(
    settings: Settings,
    seed: int,
    structures: int,
    users: int | None = None,
    batch_size: int = 2000,
    on_batch: Callable[[int], None] | None = None,
    also: Callable[[Session], None] | None = None,
) -> dict:
    """Replace the database's content with the world of ``seed``, streamed in batches.

    ``on_batch(n)`` is called after each committed batch of ``n`` structures.
    """
    db.init_engine(settings.database_url)
    schema.create_schema()
    started = time.perf_counter()
    generator = WorldGenerator(seed, structures, users)
    totals = dict.fromkeys(TABLES, 0)
    with db.transaction() as s:
        state.bump_epoch(s)  # first: the background writers of before stop here
        if also is not None:
            also(s)
        conn = s.connection()
        drop_name_search(conn)  # rebuilt after the last batch (install_name_search)
        clear(conn)
        fixed = generator.fixed()
        insert_batch(conn, fixed)
        _record_seed(s, seed)
    for table, n in fixed.count().items():
        totals[table] += n
    for batch in generator.batches(size=batch_size):
        with db.transaction() as s:
            insert_batch(s.connection(), batch)
        for table, n in batch.count().items():
            totals[table] += n
        if on_batch is not None:
            on_batch(len(batch.rows["structures"]))
    with db.transaction() as s:
        seed_invoices(s.connection(), seed)
        seed_engagements(s.connection(), seed)
        _restart_sequences(s.connection())
        seed_scenarios(s, seed)  # after every other seeded row: no seeded id moves
        _fix_sequences(s.connection())
        install_name_search(s.connection())
        refresh_public_tally(s.connection())
    elapsed = time.perf_counter() - started
    return {
        "seed": seed,
        **totals,
        "seconds": round(elapsed, 3),
        "structures_per_second": round(structures / elapsed, 1) if elapsed else None,
    }


def ensure_seeded(settings: Settings) -> dict:
    """Seed an empty database; on a seeded one, only restore missing permanent recipients."""
    db.init_engine(settings.database_url)
    schema.create_schema()
    with db.new_session() as s:
        seeded = s.scalar(select(Structure.id).limit(1)) is not None
    if not seeded:
        return reset(settings)
    restored = restore_permanent_recipients(settings)
    with db.transaction() as s:  # a database seeded before they existed gains them
        scenarios = seed_scenarios(s, settings.seed)
        engagements = 0
        if s.scalar(select(EngagementJuridique.id).limit(1)) is None:
            engagements = seed_engagements(s.connection(), settings.seed)
        if scenarios or engagements:
            _fix_sequences(s.connection())
    report = {"permanent_recipients_restored": restored} if restored else {}
    if engagements:
        report["engagements_added"] = engagements
    return {**report, "scenario_recipients_added": scenarios} if scenarios else report


def restore_permanent_recipients(settings: Settings) -> int:
    """Re-create the permanent recipients (and their services) that are missing."""
    with db.transaction() as s:
        present = set(
            s.scalars(
                select(Structure.identifiant).where(
                    Structure.type_identifiant == TypeIdentifiant.SIRET,
                    Structure.identifiant.in_(PERMANENT_SIRETS),
                )
            )
        )
        if len(present) == len(PERMANENT_SIRETS):
            return 0
        fixed = WorldGenerator(settings.seed, 0).fixed()
        restored = 0
        for row in fixed.rows["structures"]:
            if row["identifiant"] not in PERMANENT_SIRETS or row["identifiant"] in present:
                continue
            values = {k: v for k, v in row.items() if k != "id"}
            structure = Structure(**values)
            s.add(structure)
            s.flush()
            for service in fixed.rows["services"]:
                if service["structure_id"] == row["id"]:
                    svc = {k: v for k, v in service.items() if k not in ("id", "structure_id")}
                    s.add(Service(structure_id=structure.id, **svc))
            restored += 1
        return restored


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):  # the factures' files
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):  # the factures' amounts
        return str(value)
    return value


def canonical_dump(s: Session) -> str:
    """Every row of every table but the run-time controls, ordered, as JSON lines."""
    lines = []
    for table in Base.metadata.sorted_tables:
        if table.name in KEPT_TABLES:
            continue
        order = [c for c in table.primary_key.columns] or list(table.c)
        for row in s.execute(select(table).order_by(*order)).mappings():
            lines.append(
                json.dumps(
                    [table.name, {k: _plain(v) for k, v in row.items()}],
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
    return "\n".join(lines)


def table_counts(s: Session) -> dict[str, int]:
    """Rows per seeded table."""
    tables = Base.metadata.tables
    return {name: s.scalar(select(func.count()).select_from(tables[name])) or 0
            for name in TABLES}
