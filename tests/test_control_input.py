"""Hostile input on every control-plane operation (issue #14.5): never a 5xx.

The operations and their field names are read from the control plane's own
``/_sandbox/openapi.json`` (so a new operation is covered without touching this
file). Two fuzzers over HTTP against a private stack:

- schemathesis, from that document: every answer conforms to it (status code,
  content type, body schema) and none is a 5xx;
- hypothesis, with what schemathesis does not send: NaN, ±Infinity, ``1e400``,
  integers of hundreds of digits, lone surrogates (``"\\ud800"``, valid JSON but not
  encodable text) and NUL in every string, wrong types, nested anywhere in the body,
  in the query string and in the path. Each refusal is a 400/404 with a JSON
  ``{"error": "..."}`` that names the problem.

Bounded like tests/test_reliability_input.py (``SANDBOX_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests
from _figures import record
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from stack_support import engine_bound_to, private_stack

from sandbox.testing.harness import RunningStack

FUZZ_EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "15"))
FIGURES: dict[str, int] = {}

# JSON texts no well-behaved client sends, each a leaf of a generated body.
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e308", str(2**63),
           str(-(2**63) - 1), str(10**40), "9" * 4400, "0.1e-400"]
STRINGS = [r'"\ud800"', r'"\udfff"', r'"a\udc80b"', r'"\u0000"', r'"x\u0000"',
           '"' + "é" * 5000 + '"', '"1"', '"true"', '""', '"25h\\ud800"']
OTHERS = ["true", "false", "null", "[]", "{}", "[NaN]", '{"ms": NaN}', "[[[[[[[[1]]]]]]]]"]
LEAVES = (
    st.sampled_from(NUMBERS + STRINGS + OTHERS)
    | st.floats().map(json.dumps)  # NaN and infinities included (allow_nan)
    | st.integers().map(str)
    | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
              | st.characters(), max_size=12).map(json.dumps)
)
# Text for the query string and the path: lone surrogates and NUL, percent-encoded.
RAW_TEXT = st.sampled_from(["\ud800", "a\udfffb", "\x00", "NaN", "-1", "1e400", str(10**40),
                            "9" * 400, "٣", "%", "../..", ""]) | st.text(max_size=12)


@pytest.fixture(scope="module")
def _stack(tmp_path_factory, chorus_sandbox) -> Iterator[RunningStack]:
    """A private stack: valid bodies among the generated ones change its state."""
    try:
        with private_stack(tmp_path_factory.mktemp("control-input"),
                           chorus_sandbox.database_url,
                           {"seed_structures": "5", "captcha_mode": "off",
                            "password_hash_method": "scrypt:1024:8:1"}) as stack:
            yield stack
    finally:
        record(FIGURES)


@pytest.fixture
def stack(_stack, stack_db, chorus_sandbox) -> Iterator[RunningStack]:
    with engine_bound_to(_stack.database_url, chorus_sandbox.database_url):
        yield _stack


def _document(stack: RunningStack) -> dict:
    answer = requests.get(f"{stack.url}/_sandbox/openapi.json", timeout=30)
    answer.raise_for_status()
    return answer.json()


def _field_names(schema: dict, components: dict, seen: set[str]) -> set[str]:
    """Every property name reachable from ``schema`` (nested models included)."""
    names: set[str] = set()
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return names
        seen.add(name)
        return _field_names(components[name], components, seen)
    for key, value in schema.get("properties", {}).items():
        names.add(key)
        names |= _field_names(value, components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            names |= _field_names(branch, components, seen)
    if isinstance(schema.get("items"), dict):
        names |= _field_names(schema["items"], components, seen)
    return names


def _operations(document: dict) -> list[dict]:
    components = document["components"]["schemas"]
    found = []
    for path, methods in document["paths"].items():
        for method, doc in methods.items():
            body = doc.get("requestBody", {}).get("content", {}).get("application/json")
            parameters = doc.get("parameters", [])
            found.append({
                "method": method.upper(),
                "path": path,
                "fields": sorted(_field_names(body["schema"], components, set())) if body
                else [],
                "query": [p["name"] for p in parameters if p["in"] == "query"],
                "path_params": [p["name"] for p in parameters if p["in"] == "path"],
            })
    return found


def _json_value(names: list[str]) -> st.SearchStrategy[str]:
    keys = st.sampled_from(names or ["x"])
    return st.recursive(
        LEAVES,
        lambda children: (
            st.lists(children, max_size=3).map(lambda items: "[" + ",".join(items) + "]")
            | st.dictionaries(keys, children, max_size=3).map(
                lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}")
        ),
        max_leaves=6,
    )


def _encoded(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _assert_refused_clearly(answer: requests.Response, what: str) -> None:
    assert answer.status_code < 500, f"{what} -> {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        body = answer.json()
        assert isinstance(body.get("error"), str) and body["error"], (what, body)


def test_the_two_reported_500s_are_clear_400s(stack):
    control = f"{stack.url}/_sandbox"
    headers = {"Content-Type": "application/json"}
    clock = requests.put(f"{control}/clock", data='{"offsetSeconds": NaN}', headers=headers,
                         timeout=30)
    assert clock.status_code == 400
    assert clock.json() == {"error": "offsetSeconds: Input should be a finite number"}
    dataset = requests.post(f"{control}/dataset", data=r'{"requester": "\ud800"}',
                            headers=headers, timeout=30)
    assert dataset.status_code == 400
    assert dataset.json()["error"].startswith("requester: contains U+D800")
    assert requests.get(f"{control}/clock", timeout=30).json()["offsetSeconds"] == 0


def test_null_means_absent_in_every_body(stack):
    """Found by schemathesis: {"minMs": null, "maxMs": null} compared None with None (500)."""
    control = f"{stack.url}/_sandbox"
    both_null = requests.put(f"{control}/faults", timeout=30, json={
        "rules": [{"path": "/x", "latency": {"minMs": None, "maxMs": None}}]})
    assert both_null.status_code == 400
    assert both_null.json()["error"] == "rules.0.latency: 'ms' alone, or 'minMs' and 'maxMs'"
    assert requests.get(f"{control}/faults", timeout=30).json()["rules"] == []
    clock = requests.put(f"{control}/clock", json={"offsetSeconds": None}, timeout=30)
    assert clock.status_code == 400 and clock.json()["error"].startswith("give exactly one of")


def test_hostile_bodies_queries_and_paths_never_answer_5xx(stack):
    control = f"{stack.url}/_sandbox"
    operations = _operations(_document(stack))
    assert len(operations) >= 15
    by_key = {(op["method"], op["path"]): op for op in operations}
    sent: dict[str, int] = {}

    @settings(max_examples=FUZZ_EXAMPLES * len(operations), deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(data=st.data())
    @example(data=None)  # the two reported cases and their kin, on every operation first
    def run(data) -> None:
        if data is None:
            for op in operations:
                for leaf in ("NaN", "Infinity", "-Infinity", "1e400", str(10**40),
                             r'"\ud800"', r'"\u0000"'):
                    for name in op["fields"] or ["x"]:
                        _send(op, {"body": "{" + json.dumps(name) + ":" + leaf + "}",
                                   "query": {}, "path": {}})
            return
        op = by_key[data.draw(st.sampled_from(sorted(by_key)))]
        body = data.draw(st.one_of(
            st.dictionaries(st.sampled_from(op["fields"] or ["x"]), _json_value(op["fields"]),
                            max_size=4).map(
                lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"),
            _json_value(op["fields"]),
        ))
        query = data.draw(st.dictionaries(st.sampled_from(op["query"] or ["x"]), RAW_TEXT,
                                          max_size=3))
        path = {name: data.draw(RAW_TEXT.filter(bool)) for name in op["path_params"]}
        _send(op, {"body": body, "query": query, "path": path})

    def _send(op: dict, case: dict) -> None:
        url = op["path"]
        for name in op["path_params"]:
            url = url.replace("{" + name + "}", _encoded(case["path"].get(name, "x@example.com")))
        query = "&".join(f"{_encoded(k)}={_encoded(v)}" for k, v in case["query"].items())
        target = f"{control}{url}" + (f"?{query}" if query else "")
        kwargs = {}
        if op["method"] not in ("GET", "DELETE"):
            kwargs = {"data": case["body"].encode("utf-8", "surrogatepass"),
                      "headers": {"Content-Type": "application/json"}}
        answer = requests.request(op["method"], target, timeout=60, **kwargs)
        sent[op["method"] + " " + op["path"]] = sent.get(op["method"] + " " + op["path"], 0) + 1
        _assert_refused_clearly(answer, f"{op['method']} {target[:200]} {case['body'][:200]}")

    try:
        run()
    finally:
        requests.put(f"{control}/clock", json={"offsetSeconds": 0}, timeout=30)
        requests.delete(f"{control}/faults", timeout=30)
    FIGURES["hostile_control_plane_cases"] = sum(sent.values())
    assert set(sent) == {f"{m} {p}" for m, p in by_key}  # every operation was tried


def test_answers_conform_to_the_control_plane_document_under_fuzzing(stack):
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    document = _document(stack)
    schema = schemathesis.openapi.from_dict(document)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def run(case) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(base_url=f"{stack.url}/_sandbox", checks=checks, timeout=60)

        try:
            run()
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    requests.put(f"{stack.url}/_sandbox/clock", json={"offsetSeconds": 0}, timeout=30)
    requests.delete(f"{stack.url}/_sandbox/faults", timeout=30)
    FIGURES["fuzz_control_plane_cases"] = sent
    FIGURES["fuzz_control_plane_operations"] = sum(len(m) for m in document["paths"].values())
    assert sent > 0
    assert not failures, "\n\n".join(failures)
