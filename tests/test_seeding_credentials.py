"""default_credentials() reads the recorded seed without rebinding this process."""

from __future__ import annotations

from sandbox import db
from sandbox.config import load_settings
from sandbox.seeding import default_credentials


def test_default_credentials_leave_the_process_engine_alone(chorus_sandbox, tmp_path):
    bound = db.engine().url.render_as_string(hide_password=False)
    elsewhere = load_settings({"database_url": f"sqlite:///{tmp_path / 'absent.db'}"}, environ={})
    credentials = default_credentials(elsewhere)
    assert credentials["seed"] == elsewhere.seed  # no database there: the setting decides
    assert not (tmp_path / "absent.db").exists()  # and none was created
    assert db.engine().url.render_as_string(hide_password=False) == bound
    # On the stack's own database, the seed it records is read.
    on_stack = load_settings(environ=chorus_sandbox.env)
    assert default_credentials(on_stack)["seed"] == on_stack.seed
