"""The conformance report is written once, after every runner of this folder
(``CONTRACT_REPORT=path``, ``make conformance``): the RPC APIs' bodies
(test_contract_clients.py) and the Référentiel des Organisations'
(test_contract_organisations.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from contract_report import all_cases, write_reports


@pytest.fixture(scope="session", autouse=True)
def conformance_report() -> Iterator[None]:
    yield
    target = os.environ.get("CONTRACT_REPORT")
    if target:
        write_reports(Path(target), all_cases())
