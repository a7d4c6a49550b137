"""Without the 'strict' extra the switch answers one clear line naming it (issue #20.1)."""

from __future__ import annotations

import pytest

from sandbox import factures
from sandbox.config import load_settings
from sandbox.factures.formats import schematron


@pytest.fixture
def no_saxonche(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schematron, "available", lambda: False)
    monkeypatch.setattr(schematron, "_state", {})


@pytest.mark.usefixtures("no_saxonche")
def test_the_engine_names_the_extra() -> None:
    with pytest.raises(schematron.StrictUnavailable) as refused:
        schematron.validate("cii", None)  # type: ignore[arg-type]
    assert "pip install 'chorus-pro-sandbox[strict]'" in str(refused.value)


@pytest.mark.usefixtures("no_saxonche")
def test_the_setting_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match=r"SANDBOX_FACTURES_STRICT: .*'strict' extra"):
        factures.check_settings(load_settings({"factures_strict": True}, environ={}))


def test_an_unknown_states_mode_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="SANDBOX_FACTURES_FLUX_STATES"):
        factures.check_settings(load_settings({"factures_flux_states": "tout"}, environ={}))
