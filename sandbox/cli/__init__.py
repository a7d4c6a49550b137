"""The ``chorus-sandbox`` command: every command of the sandbox, assembled by name.

One module per family (level "tools": nothing of the product imports this package):

* ``run``: ``run``, ``settings``, ``init-db``;
* ``seeding``: ``seed``, ``dataset``, ``load-fixture``, ``credentials``;
* ``control``: the shell client of a running sandbox's control plane (``reset``,
  ``clock``, ``fault``, ``override``, ``verify``, ``maintenance``, ``mails``, ``requests``);
* ``mail``: ``install-mailpit``;
* ``factures``: ``check-invoice`` (what the platform would say of invoice files, over a
  running sandbox's control plane; exit status for CI);
* ``load``: ``load``, ``bench`` and ``load-checks``, which need the ``load`` extra: without
  it they say which one to install (``extras.require``), and every other command works;
* here: ``completion``, the shell completion script (click's own completion support).
"""

from __future__ import annotations

import os

import click
from click.shell_completion import get_completion_class

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


COMPLETION_SHELLS = ("bash", "zsh", "fish")


@main.command("completion")
@click.argument("shell", type=click.Choice(COMPLETION_SHELLS), required=False)
def completion(shell: str | None) -> None:
    """Print the shell completion script of chorus-sandbox (commands, options, choices).

    \b
    bash: eval "$(chorus-sandbox completion bash)"   (in ~/.bashrc)
    zsh:  eval "$(chorus-sandbox completion zsh)"    (in ~/.zshrc)
    fish: chorus-sandbox completion fish > ~/.config/fish/completions/chorus-sandbox.fish
    """
    if shell is None:
        shell = os.path.basename(os.environ.get("SHELL", ""))
        if shell not in COMPLETION_SHELLS:
            raise click.UsageError(
                f"name the shell: chorus-sandbox completion {{{'|'.join(COMPLETION_SHELLS)}}}")
    found = get_completion_class(shell)
    assert found is not None  # why: every name in COMPLETION_SHELLS is one of click's
    click.echo(found(main, {}, "chorus-sandbox", "_CHORUS_SANDBOX_COMPLETE").source())
