"""The ``chorus-sandbox`` command: every command of the sandbox, assembled by name.

One module per family (level "tools": nothing of the product imports this package):

* ``run``: ``run``, ``settings``, ``init-db``;
* ``seeding``: ``seed``, ``dataset``, ``load-fixture``, ``credentials``;
* ``control``: the shell client of a running sandbox's control plane (``reset``,
  ``clock``, ``fault``, ``override``, ``verify``, ``maintenance``, ``mails``, ``requests``);
* ``mail``: ``install-mailpit``;
* ``factures``: ``check-invoice`` (what the platform would say of invoice files, over a
  running sandbox's control plane; exit status for CI);
* ``load``: ``load`` and ``bench``, which need the ``load`` extra: without it they say
  which one to install (``extras.require``), and every other command works.
"""

from __future__ import annotations

import click

from sandbox.cli import control, factures, load, mail, run, seeding


@click.group()
@click.version_option(package_name="chorus-pro-sandbox", prog_name="chorus-sandbox")
def main() -> None:
    """Chorus Pro Sandbox: a local simulator of the Chorus Pro qualification environment."""


for _command in (
    run.run,
    run.show_settings,
    run.init_db,
    *seeding.COMMANDS,
    *control.COMMANDS,
    *mail.COMMANDS,
    *factures.COMMANDS,
    *load.COMMANDS,
):
    main.add_command(_command)
