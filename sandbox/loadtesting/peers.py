"""The peers of `make bench`: WireMock and moto, measured in the same run as the sandbox.

- **WireMock** (the standalone jar, fetched by Maven by its coordinates into the user
  cache, ``config.user_cache_dir()``) serves stubs recorded from the sandbox itself:
  WireMock proxies a short API-mix run to the sandbox and records every distinct request
  with the sandbox's answer; the measured run then sends the same mix to WireMock alone,
  which answers from those stubs.
- **moto** (``moto[server]`` in a virtualenv of its own in the same cache) runs the
  Cognito user-pool flow a peer integrator would mock: SignUp → ConfirmSignUp →
  InitiateAuth (loadtests/cognito_peer.py).

A peer that cannot be had (no ``mvn``, no ``java``, no registry) is reported with its
cause in the results, never skipped silently.
"""

from __future__ import annotations

import shutil
import subprocess
import venv
from dataclasses import dataclass, field
from pathlib import Path

import requests

from sandbox.config import user_cache_dir
from sandbox.stack import free_port, wait_until

WIREMOCK = "org.wiremock:wiremock-standalone:3.13.2"
MOTO = "moto[server]>=5,<6"


class PeerUnavailable(RuntimeError):
    """A peer could not be had here; the message says why."""


def _run(command: list[str], what: str, timeout: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PeerUnavailable(f"{what}: {error}") from error
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise PeerUnavailable(f"{what} failed: {' / '.join(tail)[:400]}")


def wiremock_jar(coordinates: str = WIREMOCK, timeout: float = 900) -> Path:
    """The WireMock standalone jar, copied by Maven from its coordinates (once)."""
    group, artifact, version = coordinates.split(":")
    target = user_cache_dir() / "wiremock"
    jar = target / f"{artifact}-{version}.jar"
    if jar.exists():
        return jar
    mvn = shutil.which("mvn")
    if mvn is None:
        raise PeerUnavailable("WireMock: Maven (mvn) is not installed "
                              "(Debian: apt-get install maven)")
    target.mkdir(parents=True, exist_ok=True)
    _run([mvn, "-q", "-B", "dependency:copy", f"-Dartifact={coordinates}",
          f"-DoutputDirectory={target}", f"-Dmaven.repo.local={user_cache_dir() / 'm2'}"],
         f"WireMock: mvn dependency:copy {coordinates}", timeout)
    if not jar.exists():
        raise PeerUnavailable(f"WireMock: Maven left no {jar.name} in {target}")
    return jar


def moto_server(timeout: float = 900) -> Path:
    """``moto_server`` from a virtualenv of its own in the cache (installed once)."""
    home = user_cache_dir() / "moto-venv"
    binary = home / "bin" / "moto_server"
    if binary.exists():
        return binary
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
    except Exception as error:  # no ensurepip, a read-only cache, ...
        raise PeerUnavailable(f"moto: no virtualenv at {home}: {error}") from error
    _run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet", MOTO],
         f"moto: pip install {MOTO}", timeout)
    if not binary.exists():
        raise PeerUnavailable(f"moto: {MOTO} installed no moto_server")
    return binary


@dataclass
class PeerProcess:
    """A peer server: its process (CPU-metered like the sandbox's) and its URL."""

    name: str
    process: subprocess.Popen | None
    url: str
    log_path: Path

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def _start(name: str, command: list[str], url: str, probe: str, workdir: Path,
           timeout: float = 120) -> PeerProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=workdir)
    peer = PeerProcess(name, process, url, log_path)

    def ready() -> bool:
        if process.poll() is not None:
            raise PeerUnavailable(f"{name} exited with code {process.returncode} "
                                  f"(see {log_path})")
        try:
            return requests.get(f"{url}{probe}", timeout=1).status_code < 500
        except requests.RequestException:
            return False

    try:
        wait_until(ready, timeout, f"{name} on {url}")
    except BaseException:
        peer.stop()
        raise
    return peer


def start_wiremock(jar: Path, workdir: Path, journal: bool = False) -> PeerProcess:
    """WireMock on a free loopback port, its stubs in ``workdir/mappings``; no request
    journal (the sandbox's load profile has none) unless ``journal`` (recording needs it)."""
    java = shutil.which("java")
    if java is None:
        raise PeerUnavailable("WireMock: no java on PATH")
    port = free_port()
    (workdir / "mappings").mkdir(parents=True, exist_ok=True)
    command = [java, "-Xmx512m", "-jar", str(jar), "--port", str(port),
               "--bind-address", "127.0.0.1", "--root-dir", str(workdir),
               *([] if journal else ["--no-request-journal"]), "--disable-banner"]
    return _start("wiremock", command, f"http://127.0.0.1:{port}", "/__admin/health", workdir)


def start_moto(binary: Path, workdir: Path) -> PeerProcess:
    port = free_port()
    command = [str(binary), "-H", "127.0.0.1", "-p", str(port)]
    return _start("moto", command, f"http://127.0.0.1:{port}", "/moto-api/", workdir)


def start_recording(wiremock: PeerProcess, target: str) -> None:
    """WireMock proxies everything to ``target`` and records each distinct request
    (method, URL, JSON body compared as JSON) with the answer it got."""
    answer = requests.post(f"{wiremock.url}/__admin/recordings/start", timeout=30, json={
        "targetBaseUrl": target,
        "persist": True,
        "repeatsAsScenarios": False,
        # equalToJson for JSON bodies, equalTo for the token's form (WireMock's "auto")
        "requestBodyPattern": {"matcher": "auto", "ignoreArrayOrder": False,
                               "ignoreExtraElements": False},
    })
    answer.raise_for_status()


def stop_recording(wiremock: PeerProcess) -> int:
    """Stop recording; the stubs (also written to ``mappings/``) now answer alone.
    Returns how many were recorded."""
    answer = requests.post(f"{wiremock.url}/__admin/recordings/stop", timeout=120)
    answer.raise_for_status()
    return len(answer.json().get("mappings") or [])


@dataclass
class PeerServer:
    """What the load runner reads of a server: its process (for the CPU meter)."""

    process: subprocess.Popen | None


@dataclass
class PeerTarget:
    """A peer in the place of the sandbox's stack for one load run: Locust aims at the
    peer; the sandbox's credentials, Mailpit and database are kept for the runner's
    bookkeeping only (no checks run against a peer)."""

    url: str
    mailpit_url: str
    database_url: str
    env: dict[str, str]
    server: PeerServer
    mailpit: PeerServer = field(default_factory=lambda: PeerServer(None))

