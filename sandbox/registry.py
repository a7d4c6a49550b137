"""An operation registry: each operation declares its method, path, models and handler.

The PISTE API (``sandbox/cpro/api.py``) and the control plane
(``sandbox/control/api.py``) each hold one ``Registry``; their dispatchers validate
the request against the operation's models and their OpenAPI documents are built
from the same declarations (moto builds ``moto_api`` like any other service). The
registry knows nothing of HTTP answers: each surface keeps its own wire format.

A path is an OpenAPI path template: fixed (``/cpro/structures/v1/rechercher``) or with
``{name}`` segments (``/cpro/organisations/v1/structures/{uuid}``, a REST API).
``find`` looks a fixed path up; ``match`` also tries the templates (each ``{name}``
matches one non-empty segment) and gives the values of their parameters. A fixed path
wins over a template that also matches it (``structures/recherche`` before
``structures/{uuid}``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

Segments = tuple[str, ...]


def _segments(path: str) -> Segments:
    return tuple(path.strip("/").split("/"))


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}") and len(segment) > 2


def path_parameters(path: str) -> list[str]:
    """The names of the ``{name}`` segments of ``path``, in order."""
    return [s[1:-1] for s in _segments(path) if _is_parameter(s)]


@dataclass(frozen=True)
class Operation:
    """One operation: ``method path`` (an OpenAPI path template), its models and handler."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    request_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    handler: Callable[..., Any]
    description: str = ""
    # What one surface adds; ``models``: more pydantic models for the OpenAPI components.
    extra: dict[str, Any] = field(default_factory=dict)


class Registry:
    """The operations of one surface, by ``(method, path)``."""

    def __init__(self) -> None:
        self.operations: dict[tuple[str, str], Operation] = {}
        self._methods: dict[str, set[str]] = {}
        # Paths with {name} segments, by their number of segments.
        self._templates: dict[int, list[tuple[Segments, str]]] = {}

    def operation(
        self,
        method: str,
        path: str,
        *,
        operation_id: str,
        summary: str,
        tag: str,
        request_model: type[BaseModel] | None = None,
        response_model: type[BaseModel] | None = None,
        **extra: Any,
    ) -> Callable[[Callable], Callable]:
        """Register the decorated handler as the operation ``method path``."""

        def register(handler: Callable) -> Callable:
            self.add(Operation(
                method=method, path=path, operation_id=operation_id, summary=summary,
                tag=tag, request_model=request_model, response_model=response_model,
                handler=handler, description=(handler.__doc__ or "").strip(), extra=extra,
            ))
            return handler

        return register

    def add(self, op: Operation) -> None:
        """Register ``op`` (one operation per method and path)."""
        key = (op.method, op.path)
        if key in self.operations:
            raise ValueError(f"operation {op.method} {op.path} registered twice")
        self.operations[key] = op
        if op.path not in self._methods and path_parameters(op.path):
            segments = _segments(op.path)
            self._templates.setdefault(len(segments), []).append((segments, op.path))
        self._methods.setdefault(op.path, set()).add(op.method)

    def find(self, method: str, path: str) -> Operation | None:
        """The operation ``method path``, if registered (``path`` taken literally)."""
        return self.operations.get((method, path))

    def _template_of(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The registered template ``path`` matches, and its parameters' values."""
        if path in self._methods:
            return path, {}
        segments = _segments(path)
        for template, template_path in self._templates.get(len(segments), ()):
            values: dict[str, str] = {}
            for pattern, segment in zip(template, segments, strict=True):
                if _is_parameter(pattern) and segment:
                    values[pattern[1:-1]] = segment
                elif pattern != segment:
                    break
            else:
                return template_path, values
        return None

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation ``method path`` with the values of its path parameters: a fixed
        path first, then the templates (``{name}`` = one non-empty segment)."""
        found = self._template_of(path)
        if found is None:
            return None
        op = self.operations.get((method, found[0]))
        return None if op is None else (op, found[1])

    def methods(self, path: str) -> set[str]:
        """The methods registered on ``path`` or on the template it matches (empty if
        none)."""
        found = self._template_of(path)
        return set(self._methods[found[0]]) if found else set()

    def __iter__(self) -> Iterator[Operation]:
        return iter(sorted(self.operations.values(), key=lambda o: (o.path, o.method)))

    def json_schemas(self, ref_template: str, *extra_models: type[BaseModel]) -> dict:
        """JSON Schemas of every request and response model (and ``extra_models``),
        by model name, for an OpenAPI document's ``components.schemas``."""
        pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = []
        for op in self:
            if op.request_model is not None:
                pairs.append((op.request_model, "validation"))
            if op.response_model is not None:
                pairs.append((op.response_model, "serialization"))
            pairs.extend((model, "serialization") for model in op.extra.get("models", ()))
        pairs.extend((model, "serialization") for model in extra_models)
        _, definitions = models_json_schema(list(dict.fromkeys(pairs)), ref_template=ref_template)
        return definitions.get("$defs", {})
