"""An operation registry: each operation declares its method, path, models and handler.

The PISTE API (``sandbox/cpro/api.py``) and the control plane
(``sandbox/control/api.py``) each hold one ``Registry``; their dispatchers validate
the request against the operation's models and their OpenAPI documents are built
from the same declarations (moto builds ``moto_api`` like any other service). The
registry knows nothing of HTTP answers: each surface keeps its own wire format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema


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
    extra: dict[str, Any] = field(default_factory=dict)  # what one surface adds


class Registry:
    """The operations of one surface, by ``(method, path)``."""

    def __init__(self) -> None:
        self.operations: dict[tuple[str, str], Operation] = {}
        self._methods: dict[str, set[str]] = {}

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
        self._methods.setdefault(op.path, set()).add(op.method)

    def find(self, method: str, path: str) -> Operation | None:
        """The operation ``method path``, if registered."""
        return self.operations.get((method, path))

    def methods(self, path: str) -> set[str]:
        """The methods registered on ``path`` (empty if none)."""
        return set(self._methods.get(path, ()))

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
        pairs.extend((model, "serialization") for model in extra_models)
        _, definitions = models_json_schema(list(dict.fromkeys(pairs)), ref_template=ref_template)
        return definitions.get("$defs", {})
