"""The databases of the bench's scale part, on SQLite and on PostgreSQL (issue 24.5).

Above ``PREPARE_ABOVE`` structures a database is seeded once and reused by later benches
(seeding a million structures takes minutes); each run works on a copy, so that its writes
never dirty the prepared one:

* SQLite: ``var/scale-N.db``, copied into the run's directory;
* PostgreSQL: the database ``chorus_scale_N`` of the server ``scaling.postgres_server``
  gives (the throw-away cluster of ``scripts/postgres.sh`` that ``make test-postgres`` uses,
  started by the bench if it is not running and stopped again at the end), copied with
  ``CREATE DATABASE … TEMPLATE``.

Below the threshold the run's stack seeds a fresh database itself (its start time is the
seed). The seed time of a prepared database is kept beside it (a ``.json`` file, a comment
on the PostgreSQL database) so that a bench reusing it still reports it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect

from sandbox.db import build_engine
from sandbox.models import (
    NAME_SEARCH_TABLE,
    PUBLIC_TALLY_TABLE,
    Base,
    install_name_search,
    install_public_tally,
)

PREPARE_ABOVE = 100_000  # larger scale databases are seeded once and reused
DATABASES = ("sqlite", "postgresql")


def _seed(count: int, database_url: str) -> float:
    """``chorus-sandbox seed --structures count`` into ``database_url``; its seconds."""
    env = dict(os.environ, SANDBOX_DATABASE_URL=database_url)
    cli = str(Path(sys.executable).parent / "chorus-sandbox")
    started = time.perf_counter()
    subprocess.run([cli, "seed", "--structures", str(count)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _seed_note(seconds: float) -> dict:
    return {"seed_seconds": round(seconds, 1), "seeded_at": datetime.now(UTC).isoformat(),
            "load1": os.getloadavg()[0]}


def prepare_scale_db(count: int, var_dir: str, echo=print) -> str:
    """The cached SQLite database of ``count`` structures in ``var_dir``, seeded once if
    missing (its seed time in ``scale-N.json`` beside it)."""
    path = Path(var_dir) / f"scale-{count}.db"
    partial = path.with_suffix(".partial.db")
    _await_other_seed(path, partial, echo)
    if path.exists():
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    echo(f"  seeding {count:,} structures into {path} once (reused by later benches) ...")
    seconds = _seed(count, f"sqlite:///{partial.resolve()}")
    engine = build_engine(f"sqlite:///{partial.resolve()}")
    with engine.connect() as conn:  # fold the WAL into the file before it is copied around
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    path.with_suffix(".json").write_text(json.dumps(_seed_note(seconds)))  # before the
    partial.rename(path)  # database appears: a bench waiting for it reads both
    return str(path)


SEED_ALIVE_SECONDS = 120  # a partial file written to this recently: a seed is under way
SEED_WAIT_SECONDS = 3 * 3600


def _await_other_seed(path: Path, partial: Path, echo=print) -> None:
    """Another bench (or ``prepare_scale_db`` run by hand) seeding the same file: wait for
    it to finish rather than seed over it (both would write the same partial file). A
    partial file left by an interrupted seed goes stale and is seeded again."""
    deadline = time.monotonic() + SEED_WAIT_SECONDS
    told = False
    while not path.exists() and time.monotonic() < deadline:
        try:
            age = time.time() - max(p.stat().st_mtime for p in partial.parent.glob(
                f"{partial.name}*"))
        except ValueError:  # no partial file: nobody is seeding
            return
        if age > SEED_ALIVE_SECONDS:
            return
        if not told:
            echo(f"  {partial} is being seeded by another process: waiting for it ...")
            told = True
        time.sleep(10)


def ensure_indexes(database_url: str) -> list[str]:
    """Create the indexes of the current schema that a prepared database lacks.

    ``create_all`` adds missing tables, never an index to an existing table: a database
    seeded before an index was added would otherwise be measured without it. The name
    search index (``models.install_name_search``) and the public structures' tally are
    added too; run on the prepared database itself, not on its copy, so that they are
    built once.
    """
    engine = build_engine(database_url)
    added: list[str] = []
    try:
        existing = {table: {i["name"] for i in inspect(engine).get_indexes(table)}
                    for table in inspect(engine).get_table_names()}
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                name = index.name  # every index of the schema is named (by its convention)
                if table.name in existing and name is not None \
                        and name not in existing[table.name]:
                    index.create(engine)
                    added.append(name)
        with engine.connect() as conn:
            conn = conn.execution_options(sqlite_immediate=True)
            with conn.begin():
                if install_name_search(conn):
                    added.append(NAME_SEARCH_TABLE)
                if install_public_tally(conn):
                    added.append(PUBLIC_TALLY_TABLE)
        if added and engine.dialect.name == "sqlite":  # into the file before it is copied
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return added


# --- PostgreSQL -------------------------------------------------------------------------


@dataclass
class Cluster:
    """The PostgreSQL server the scale runs use (``scaling.postgres_server``)."""

    url: str  # SQLAlchemy URL of its ``postgres`` database

    def database(self, name: str) -> str:
        return f"{self.url.rsplit('/', 1)[0]}/{name}"

    def admin(self, statement: str) -> list:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) on the server."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.exec_driver_sql(statement)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def exists(self, name: str) -> bool:
        return bool(self.admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def note(self, name: str) -> dict:
        rows = self.admin("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                          f"WHERE datname = '{name}'")
        try:
            return json.loads(rows[0][0]) if rows and rows[0][0] else {}
        except ValueError:
            return {}


def prepare_postgres(cluster: Cluster, count: int, echo=print) -> str:
    """The database ``chorus_scale_N`` of ``count`` structures, seeded once if missing
    (renamed from ``…_partial`` when complete; its seed time in its comment)."""
    name = f"chorus_scale_{count}"
    if cluster.exists(name):
        return name
    partial = f"{name}_partial"
    cluster.drop(partial)
    cluster.admin(f'CREATE DATABASE "{partial}"')
    echo(f"  seeding {count:,} structures into PostgreSQL database {name} once "
         "(reused by later benches) ...")
    seconds = _seed(count, cluster.database(partial))
    note = json.dumps(_seed_note(seconds)).replace("'", "''")
    cluster.admin(f"COMMENT ON DATABASE \"{partial}\" IS '{note}'")
    cluster.admin(f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    return name


@dataclass
class ScaleDatabase:
    """The database of one scale run: settings for its stack and what is known of it."""

    settings: dict
    prepared: bool
    seed_seconds: float | None = None
    seeded_at: str | None = None


@contextmanager
def scale_database(database: str, count: int, work: Path, var_dir: str,
                   cluster: Cluster | None, prepared_path: str | None = None,
                   echo=print) -> Iterator[ScaleDatabase]:
    """The database of the scale run of ``count`` structures on ``database``: a copy of
    the prepared one above ``PREPARE_ABOVE`` (or of ``prepared_path``), else a fresh one
    that the stack seeds at start; the copy is deleted afterwards (gigabytes)."""
    if database == "postgresql":
        assert cluster is not None
        run_name = f"chorus_bench_scale_{count}_{os.getpid()}"
        cluster.drop(run_name)
        note: dict = {}
        if count > PREPARE_ABOVE:
            prepared = prepare_postgres(cluster, count, echo)
            added = ensure_indexes(cluster.database(prepared))
            if added:
                echo(f"  prepared database: created missing indexes {', '.join(added)}")
            note = cluster.note(prepared)
            cluster.admin(f'CREATE DATABASE "{run_name}" TEMPLATE "{prepared}"')
        else:
            cluster.admin(f'CREATE DATABASE "{run_name}"')
        try:
            yield ScaleDatabase({"database_url": cluster.database(run_name)},
                                count > PREPARE_ABOVE, note.get("seed_seconds"),
                                note.get("seeded_at"))
        finally:
            cluster.drop(run_name)
        return
    if prepared_path is None and count > PREPARE_ABOVE:
        prepared_path = prepare_scale_db(count, var_dir, echo)
    if not prepared_path:
        yield ScaleDatabase({}, False)
        return
    added = ensure_indexes(f"sqlite:///{Path(prepared_path).resolve()}")
    if added:
        echo(f"  prepared database: created missing indexes {', '.join(added)}")
    shutil.copyfile(prepared_path, work / "sandbox.db")
    if os.path.exists(f"{prepared_path}-wal"):  # not checkpointed yet: part of the data
        shutil.copyfile(f"{prepared_path}-wal", work / "sandbox.db-wal")
    sidecar = Path(prepared_path).with_suffix(".json")
    note = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    try:
        yield ScaleDatabase({"database_url": f"sqlite:///{work / 'sandbox.db'}"}, True,
                            note.get("seed_seconds"), note.get("seeded_at"))
    finally:
        for leftover in work.glob("sandbox.db*"):
            leftover.unlink()
