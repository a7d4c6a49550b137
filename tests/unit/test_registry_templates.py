"""The registry's path templates (``structures/{uuid}``) and the Référentiel's uuids:
pure functions, tried in-process."""

from __future__ import annotations

import pytest

from sandbox.organisations.uuids import Codec, Kind, normalised
from sandbox.registry import Operation, Registry, path_parameters


def _registry(*routes: tuple[str, str]) -> Registry:
    registry = Registry()
    for method, path in routes:
        registry.add(Operation(method=method, path=path, operation_id=f"{method}{path}",
                               summary="", tag="t", request_model=None, response_model=None,
                               handler=lambda: None))
    return registry


REST = _registry(("GET", "/v1/structures/{uuid}"), ("POST", "/v1/structures/recherche"),
                 ("GET", "/v1/structures/{uuid}/pieces_jointes/{uuidPJ}"),
                 ("PATCH", "/v1/structures/{uuid}/parametres-edi"), ("POST", "/v1/services"))


def test_a_template_gives_its_parameters():
    op, params = REST.match("GET", "/v1/structures/abc/pieces_jointes/def")
    assert op.path == "/v1/structures/{uuid}/pieces_jointes/{uuidPJ}"
    assert params == {"uuid": "abc", "uuidPJ": "def"}
    assert path_parameters(op.path) == ["uuid", "uuidPJ"]


def test_a_fixed_path_wins_over_a_template():
    op, params = REST.match("POST", "/v1/structures/recherche")
    assert (op.path, params) == ("/v1/structures/recherche", {})
    # the fixed path exists (POST only): GET is not turned into a structure "recherche"
    assert REST.match("GET", "/v1/structures/recherche") is None
    assert REST.methods("/v1/structures/recherche") == {"POST"}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/structures"), ("GET", "/v1/structures//pieces_jointes/x"),
    ("GET", "/v1/structures/a/b"), ("DELETE", "/v1/structures/a"), ("GET", "/v1/services"),
    ("GET", "/v2/structures/a"),
])
def test_what_no_template_matches(method, path):
    assert REST.match(method, path) is None


def test_methods_of_a_templated_path():
    assert REST.methods("/v1/structures/x/parametres-edi") == {"PATCH"}
    assert REST.methods("/v1/nothing") == set()
    assert REST.find("GET", "/v1/structures/x") is None  # find() is literal


def test_uuids_round_trip_per_kind_and_seed():
    codec = Codec(2024)
    value = codec.encode(Kind.STRUCTURE, 42)
    assert len(value) == 32 and value == value.lower() and value.endswith("2a")
    assert codec.decode(Kind.STRUCTURE, value) == 42
    assert codec.decode(Kind.STRUCTURE, value.upper()) == 42
    dashed = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    assert codec.decode(Kind.STRUCTURE, dashed) == 42
    assert codec.decode(Kind.SERVICE, value) is None  # another kind
    assert Codec(2025).decode(Kind.STRUCTURE, value) is None  # another world
    assert codec.decode(Kind.STRUCTURE, "0" * 16 + value[16:]) is None  # forged
    assert codec.decode(Kind.STRUCTURE, "f" * 32) is None  # beyond 64 bits
    assert codec.encode(Kind.STRUCTURE, 42) == value  # stable
    assert codec.encode_optional(Kind.STRUCTURE, None) == ""


@pytest.mark.parametrize("text", ["", "no_exist_uuid", "0" * 31, "g" * 32, "0" * 33,
                                  "\x00" * 32, "0000000-00000-0000-0000-000000000000"])
def test_what_is_no_uuid(text):
    assert normalised(text) is None
