"""A short Locust run of the invoice user (deposit -> CR -> search -> history), through
Locust as a subprocess on a stack of its own in the load profile (integration delay 0),
with the post-run check: one flux per acknowledged deposit, integrated exactly once,
every integrated invoice stored once. Not a benchmark (that is `make bench`)."""

from __future__ import annotations

import pytest

from sandbox import db
from sandbox.loadtesting.runner import LoadOptions, profile_settings, run_load
from sandbox.testing.harness import start_stack


@pytest.fixture(scope="module")
def load_stack(tmp_path_factory, chorus_sandbox):  # noqa: ANN001, ANN201
    stack = start_stack(tmp_path_factory.mktemp("invoice-load"), settings=profile_settings())
    try:
        yield stack
    finally:
        stack.stop()
        db.init_engine(chorus_sandbox.database_url)


def test_invoice_user_deposits_follows_and_the_checks_pass(load_stack, tmp_path) -> None:  # noqa: ANN001
    summary = run_load(LoadOptions(users=3, spawn_rate=3, duration="8s", stop_timeout=30,
                                   mix="invoice=1", reports_dir=str(tmp_path), label="invoice",
                                   max_p95_ms=10_000, max_flux_p95_ms=30_000),
                       stack=load_stack, out=tmp_path)
    assert summary["totals"]["failures"] == 0, (tmp_path / "locust.log").read_text()[-2000:]
    rows = {row["name"]: row for row in summary["stats"]}
    flux = rows["deposer/flux → IN_INTEGRE"]
    assert flux["type"] == "FLUX" and flux["requests"] >= 1
    for name in ("/cpro/factures/v1/deposer/flux", "/cpro/factures/v1/rechercher/fournisseur",
                 "/cpro/factures/v1/consulter/historique"):
        assert rows[name]["requests"] >= 1, name
    checks = {c["name"]: c for c in summary["checks"]}
    for name in ("one flux per acknowledged deposit",
                 "every deposit integrated or rejected exactly once",
                 "every integrated invoice exists once"):
        assert checks[name]["ok"], checks[name]
    assert summary["ledger"]["deposits"] == rows["/cpro/factures/v1/deposer/flux"]["requests"]
    assert summary["passed"], summary["thresholds"]
