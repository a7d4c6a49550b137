"""Every example of the docs that calls the API is extracted and executed.

Fenced blocks of README.md and docs/*.md are classified: ``sh``/``python`` blocks that
call ``/cpro/...`` or the token endpoint run against the session stack (default seed;
the examples only read), with ``http://127.0.0.1:8080`` replaced by its URL; every JSON
answer they receive from ``/cpro`` must be a success (``codeRetour`` 0), except an answer
an override of the example gave (header ``X-Sandbox-Override``); the fault and override
rules an example leaves are removed after it. JSON blocks
that show an answer are compared with the real answer's keys. Every other block is named
in ``NOT_API`` with the reason it is not an API call, so a new example cannot slip by.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
CALLS_API = re.compile(r"/cpro/|/api/oauth/token")
DEFAULT_BASE = "http://127.0.0.1:8080"

# (file, first line of the block) -> why it is not an executable API example.
NOT_API_PREFIXES = {
    "make ": "make targets (the suite itself runs them)",
    "export SANDBOX_DATABASE_URL": "PostgreSQL deployment recipe (docs/reliability.md)",
    "sandbox/ ": "repository layout",
    "sandbox/\n": "source tree (docs/architecture.md)",
    "POST /_sandbox/": "control-plane reference notation (tests/test_control_*.py)",
    "GET  /_sandbox/": "control-plane reference notation (tests/test_control_*.py)",
    "GET /_sandbox/": "control-plane reference notation (tests/test_control_*.py)",
    "PUT /_sandbox/": "control-plane reference notation (tests/test_control_*.py)",
    "POST   /_sandbox/": "control-plane reference notation (tests/test_factures_control.py)",
    "GET    /_sandbox/": "control-plane reference notation (tests/test_api_subscriptions.py)",
    "HTTP/1.1 ": "a raw answer as the gateway sends it (tests/test_api_subscriptions.py)",
    ".venv/bin/locust": "load-test command lines (tests/test_load_smoke.py)",
    "# master": "distributed Locust command lines",
    "def test_": "a pytest example (docs/examples/, run by tests/test_plugin_*.py)",
    "# 1. A database": "PostgreSQL deployment recipe",
    "SANDBOX_SMTP_HOST=": "multi-host deployment command line",
    "Done: ": "sample output of the seeding command",
    "Entite;Libelle;Valeur": "sample CSV of a data set",
    "description: ": "sample fixture file (tests/test_seeding_fixtures.py loads fixtures/)",
    "chorus-sandbox clock advance": "the shell client (tests/test_cli_remote.py runs each command)",
    "expected exactly ": "sample message of a failed assert_received (docs/examples/ runs it)",
}
# A block introduced as "(after the ... session above ...)" continues the first runnable
# block of the same language in its file: the two run together.
CONTINUES = re.compile(r"\(after the\b[^)]*above")


def blocks() -> list[tuple[str, int, str, str]]:
    found = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        first: dict[str, str] = {}  # language -> the file's first runnable block
        previous_end = 0
        for match in FENCE.finditer(text):
            line = text[: match.start()].count("\n") + 1
            lang, body = match.group(1), match.group(2)
            lead_in = text[previous_end: match.start()]
            previous_end = match.end()
            if CONTINUES.search(lead_in) and lang in first:
                body = first[lang] + "\n" + body
            elif lang in ("sh", "bash", "python") and CALLS_API.search(body):
                first.setdefault(lang, body)
            found.append((path.name, line, lang, body))
    return found


def kind_of(lang: str, body: str) -> str:
    for start in NOT_API_PREFIXES:
        if body.startswith(start):
            return "not-api"
    if lang in ("sh", "bash", "python") and CALLS_API.search(body):
        return lang
    if lang == "json" and body.lstrip().startswith("{"):
        return "json-answer"
    return "unclassified"


BLOCKS = blocks()
IDS = [f"{name}:{line}" for name, line, _lang, _body in BLOCKS]


@pytest.mark.parametrize(("name", "line", "lang", "body"), BLOCKS, ids=IDS)
def test_every_block_is_classified(name, line, lang, body):
    assert kind_of(lang, body) != "unclassified", (
        f"{name}:{line}: a new example block; make it runnable (sh/python calling the API) "
        "or name it in NOT_API_PREFIXES with the reason"
    )


def api_answers(log: str) -> list[dict]:
    answers = []
    for raw in log.splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            answers.append(json.loads(raw))
    return answers


def check_answers(answers: list[dict], where: str) -> None:
    assert answers, f"{where}: the example received no JSON answer"
    for answer in answers:
        if "codeRetour" in answer:
            assert answer["codeRetour"] == 0, f"{where}: {answer}"
        if "statusCode" in answer:
            assert answer["statusCode"] == "OK", f"{where}: {answer}"


RUNNABLE = [b for b in BLOCKS if kind_of(b[2], b[3]) in ("sh", "python")]


def test_the_docs_have_runnable_examples():
    assert len(RUNNABLE) >= 2


@pytest.mark.parametrize(("name", "line", "lang", "body"), RUNNABLE,
                         ids=[f"{b[0]}:{b[1]}" for b in RUNNABLE])
def test_api_example_runs(name, line, lang, body, base_url, tmp_path, monkeypatch):
    code = body.replace(DEFAULT_BASE, base_url)
    where = f"{name}:{line}"
    if lang == "sh":
        log = tmp_path / "answers.log"
        # Every curl answer is also appended to the log (captures $(curl ...) still work).
        prelude = (f'curl() {{ command curl "$@" | tee -a {log}; printf "\\n" >> {log}; }}\n')
        run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", prelude + code],
                             capture_output=True, text=True, timeout=120, check=False)
        assert run.returncode == 0, f"{where}: {run.stderr[-2000:]}"
        check_answers(api_answers(log.read_text(encoding="utf-8")), where)
        return
    answers: list[dict] = []
    original = requests.Session.request

    def recording(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        response = original(self, method, url, *args, **kwargs)
        # An empty body is the gateway's refusal (403 of an unsubscribed API): the example
        # asserts it itself; every other answer is judged by check_answers.
        if ("/cpro/" in url and "X-Sandbox-Override" not in response.headers
                and response.content):
            answers.append(response.json())
        return response

    monkeypatch.setattr(requests.Session, "request", recording)
    try:
        exec(compile(code, where, "exec"), {"__name__": "docs_example"})  # noqa: S102
    finally:
        requests.delete(f"{base_url}/_sandbox/faults", timeout=30)
    check_answers(answers, where)


@pytest.mark.parametrize(
    ("name", "line", "lang", "body"),
    [b for b in BLOCKS if kind_of(b[2], b[3]) == "json-answer" and "access_token" in b[3]],
)
def test_token_answer_sample_has_the_real_keys(name, line, lang, body, chorus_credentials,
                                               base_url):
    client = chorus_credentials["oauth_client"]
    real = requests.post(f"{base_url}/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client["client_id"],
        "client_secret": client["client_secret"], "scope": "openid"}, timeout=30).json()
    assert set(json.loads(body)) == set(real)


def test_pytest_example_block_is_the_file_the_plugin_test_runs():
    """docs/pytest-plugin.md's block runs as docs/examples/ (tests/test_plugin_xdist.py)."""
    example = (ROOT / "docs" / "examples" / "test_chorus_sandbox_example.py").read_text(
        encoding="utf-8")
    shown = [b for b in BLOCKS if b[3].startswith("def test_")]
    assert shown
    for _name, _line, _lang, body in shown:
        assert body in example
