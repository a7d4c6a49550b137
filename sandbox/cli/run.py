"""``chorus-sandbox run | settings | init-db``: start the stack, show settings, make the schema."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import click

from sandbox import db, schema
from sandbox.config import load_settings, settings_table
from sandbox.mail.binary import MailpitNotFound
from sandbox.mail.provision import ensure_mailpit
from sandbox.seeding import default_credentials_text
from sandbox.stack import (
    Mailpit,
    MailpitSupervisor,
    SandboxServer,
    SettingError,
    check_port_free,
    exit_cause,
    prepare_database,
)


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: SANDBOX_HOST).")
@click.option("--port", type=int, default=None, help="Sandbox port (default: SANDBOX_PORT).")
@click.option("--var-dir", default="var", show_default=True, help="Databases and logs.")
@click.option("--mailpit-bin", default=None, help="Mailpit binary (default: .tools/bin).")
@click.option("--mailpit-smtp-port", type=int, default=1025, show_default=True)
@click.option("--mailpit-http-port", type=int, default=8025, show_default=True)
@click.option("--no-mailpit", is_flag=True, help="Use an SMTP server already running.")
@click.option("--mailpit-restart-delay", type=click.FloatRange(0.1, 300), default=1.0,
              show_default=True,
              help="First wait before restarting a Mailpit that died (doubles, up to 30 s).")
def run(host, port, var_dir, mailpit_bin, mailpit_smtp_port, mailpit_http_port, no_mailpit,
        mailpit_restart_delay):
    """Start Mailpit and the sandbox; Ctrl-C stops both.

    Mailpit is supervised: if it dies the sandbox keeps serving (mail waits in the
    outbox) and Mailpit is restarted with backoff. If the sandbox's main server process
    (granian's or gunicorn's) dies, the command stops with a non-zero status and the cause.
    """
    settings = load_settings()
    host = host or settings.host
    port = port or settings.port
    try:
        check_port_free(host, port, "--port or SANDBOX_PORT")
        if not no_mailpit:
            check_port_free("127.0.0.1", mailpit_smtp_port,
                            "--mailpit-smtp-port (or --no-mailpit to use an SMTP server "
                            "already running: SANDBOX_SMTP_HOST, SANDBOX_SMTP_PORT)")
            check_port_free("127.0.0.1", mailpit_http_port, "--mailpit-http-port")
            mailpit_bin = ensure_mailpit(mailpit_bin, echo=click.echo)
    except (SettingError, RuntimeError) as error:
        raise click.ClickException(str(error)) from None
    except MailpitNotFound as error:
        raise click.ClickException(
            f"{error} For `chorus-sandbox run`: --mailpit-bin PATH, or --no-mailpit with "
            "SANDBOX_SMTP_HOST/SANDBOX_SMTP_PORT of an SMTP server already running.") from None
    var = Path(var_dir).resolve()
    var.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    if "SANDBOX_DATABASE_URL" not in os.environ:
        env["SANDBOX_DATABASE_URL"] = f"sqlite:///{var / 'sandbox.db'}"
    if "SANDBOX_PUBLIC_BASE_URL" not in os.environ:
        env["SANDBOX_PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    supervisor = None
    if not no_mailpit:
        mailpit = Mailpit(
            mailpit_bin,
            smtp_port=mailpit_smtp_port,
            http_port=mailpit_http_port,
            database=str(var / "mailpit.db"),
            log_path=str(var / "mailpit.log"),
        )
        supervisor = MailpitSupervisor(mailpit, str(var / "supervisor.json"), echo=click.echo,
                                       initial_delay=mailpit_restart_delay)
        env.update(
            SANDBOX_SMTP_HOST="127.0.0.1",
            SANDBOX_SMTP_PORT=str(mailpit_smtp_port),
            SANDBOX_MAILPIT_URL=mailpit.url,
            SANDBOX_SUPERVISOR_STATE=supervisor.state_path,
        )
    os.environ.update(env)
    server = SandboxServer(
        env=env,
        host=host,
        port=port,
        workers=settings.workers,
        threads=settings.threads,
        log_path=str(var / "sandbox.log"),
    )
    stopping = threading.Event()

    def _stop(_signum, _frame):
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if supervisor is not None:
            click.echo(f"Starting Mailpit ({supervisor.mailpit.binary}) ...")
            try:
                supervisor.start()
            except (RuntimeError, TimeoutError) as error:
                raise click.ClickException(f"Mailpit did not start: {error}") from error
        click.echo("Preparing the database ...")
        try:
            report = prepare_database(env)
        except SettingError as error:
            raise click.ClickException(str(error)) from None
        if report:
            click.echo(f"Seeded: {report}")
        click.echo("Starting the sandbox ...")
        try:
            server.start()
        except (RuntimeError, TimeoutError) as error:
            raise click.ClickException(str(error)) from error
        process = server.process
        assert process is not None  # start() set it
        _banner(server.url, supervisor.mailpit.url if supervisor else None, env,
                supervisor.build if supervisor else None)
        while not stopping.wait(0.5):
            if process.poll() is not None:
                raise click.ClickException(
                    f"the sandbox ({settings.server} main process, pid {process.pid}) "
                    f"{exit_cause(process.returncode)}; see {server.log_path}")
            if supervisor is not None:
                supervisor.check()
    finally:
        click.echo("Stopping ...")
        server.stop()
        if supervisor is not None:
            supervisor.stop()
        click.echo("Stopped.")


def _banner(url: str, mailpit_url: str | None, env: dict[str, str],
            mailpit_build: dict | None) -> None:
    click.echo("")
    click.echo("Chorus Pro Sandbox is running (qualification simulator)")
    click.echo(f"  Portal            {url}/")
    click.echo(f"  PISTE token URL   {url}/api/oauth/token")
    click.echo(f"  API base URL      {url}/cpro/...")
    click.echo(f"  Control plane     {url}/_sandbox/")
    click.echo(f"  Health            {url}/health")
    if mailpit_url:
        build = mailpit_build or {}
        if build.get("ui") is not False:
            known = "" if build.get("ui") else f"  (if this binary has it: {build.get('note')})"
            click.echo(f"  Mailpit (web UI)  {mailpit_url}/{known}")
        click.echo(f"  Mailpit (API)     {mailpit_url}/api/v1/messages")
        if build.get("ui") is False:
            click.echo(f"  Mailpit has no web UI here ({build.get('note')}); "
                       "README, \"Mailpit's web UI\", says how to build it")
    click.echo("")
    click.echo(default_credentials_text())
    click.echo("")
    click.echo("Press Ctrl-C to stop.")


@click.command("settings")
def show_settings() -> None:
    """Print every setting, its variable and its default (Markdown)."""
    click.echo(settings_table())


@click.command("init-db")
def init_db() -> None:
    """Create the tables in the configured database."""
    settings = load_settings()
    db.init_engine(settings.database_url)
    schema.create_schema()
    click.echo(f"schema ready in {settings.database_url}")
