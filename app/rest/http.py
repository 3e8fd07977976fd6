"""JSON in and out at the REST edge: orjson responses, problem+json errors, strict bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from app.errors import (
    BadRequest,
    DomainError,
    FieldError,
    InvalidInput,
    UnsupportedMediaType,
)
from app.services import idempotency

M = TypeVar("M", bound=BaseModel)

JSON_TYPE = "application/json"
PROBLEM_TYPE = "application/problem+json"


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, media_type=JSON_TYPE, headers=headers)


def problem_response(error: DomainError, path: str, request_id: str | None = None) -> Response:
    """RFC 9457 problem details; CEO (``/v3``) clients also read ``message``."""
    body: dict[str, Any] = {
        "type": f"https://gateway.example/problems/{error.code.lower().replace('_', '-')}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "instance": path,
    }
    if error.errors:
        body["errors"] = [e.as_dict() for e in error.errors]
    if request_id:
        body["request_id"] = request_id
    if path.startswith("/v3"):
        body["message"] = error.detail
    return Response(
        dumps(body), status_code=error.status, media_type=PROBLEM_TYPE, headers=error.headers
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadRequest(f"Duplicate JSON key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise BadRequest(f"{name} is not valid JSON")


# Text no field may hold: NUL (PostgreSQL cannot store it; C libraries end strings there,
# SQLite's LIKE among them) and unpaired UTF-16 surrogates (not Unicode scalar values, so
# not encodable as UTF-8).
UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSAFE_TEXT_MESSAGE = "may not contain NUL characters or unpaired surrogates"
# The same rule as a JSON Schema pattern, for the parameters the OpenAPI document describes.
SAFE_TEXT_PATTERN = "^[^\\u0000\\ud800-\\udfff]*$"

# Every text input has a length bound, checked at the edge of both doors and stated where
# clients read the rules (OpenAPI ``maxLength``, the SDL descriptions). An input that
# declares no bound of its own (an id, a filter, a search, a cursor) gets this one.
MAX_TEXT_LENGTH = 200


def too_long(max_length: int) -> str:
    """The one message for text over its bound, on both doors."""
    return f"must be at most {max_length} characters"


def length_error(field: str, value: str, max_length: int) -> FieldError | None:
    return FieldError(field, too_long(max_length)) if len(value) > max_length else None


def json_pattern(regex: re.Pattern[str]) -> str:
    """A server-side anchored pattern (``^...\\Z``) as a JSON Schema (ECMA 262) pattern."""
    return regex.pattern.replace("\\Z", "$")


def text(max_length: int = MAX_TEXT_LENGTH, *, choices: Iterable[str] = ()) -> Any:
    """The bound (and, for a closed vocabulary, the choices) of a text property of a body:
    ``Annotated[str, text(4000)]``. Pydantic checks the bound, ``validate_model`` words the
    refusal, and the OpenAPI document states it (``maxLength``, ``enum``)."""
    return Field(
        max_length=max_length, json_schema_extra={"enum": list(choices)} if choices else None
    )


def not_null(**rules: Any) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` of an optional body field that may be left out but never sent
    as ``null`` (the server refuses a null there): the document drops the null branch and
    the ``null`` default pydantic states for ``X | None = None``, and adds ``rules``."""

    def schema_of(schema: dict[str, Any]) -> None:
        branches = [branch for branch in schema.pop("anyOf", []) if branch.get("type") != "null"]
        if len(branches) == 1:
            schema.update(branches[0])
        elif branches:
            schema["anyOf"] = branches
        schema.pop("default", None)
        schema.update(rules)

    return schema_of


def text_schema(max_length: int = MAX_TEXT_LENGTH, **rules: Any) -> dict[str, Any]:
    """The JSON Schema of a bounded text parameter: no NUL or unpaired surrogate unless
    ``rules`` give a stricter ``pattern`` (or a ``format``)."""
    return {"type": "string", "maxLength": max_length, "pattern": SAFE_TEXT_PATTERN, **rules}


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if UNSAFE_TEXT.search(item):
                raise BadRequest(f"JSON strings {UNSAFE_TEXT_MESSAGE}")
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_json(raw: bytes | str) -> Any:
    """Strict JSON for both doors: 400 when malformed, on duplicate keys (which would make
    the meaning depend on the parser), on NaN/Infinity, and on strings holding NUL or
    unpaired surrogates (``"\\u0000"``, ``"\\ud800"``)."""
    try:
        data = json.loads(raw, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("Malformed JSON: nested too deeply") from None
    _check_strings(data)
    return data


def is_json_content_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == JSON_TYPE or (media.startswith("application/") and media.endswith("+json"))


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object: 415 if not JSON, 400 if malformed (the request
    middleware answers 413 for a body over the limit, declared or streamed)."""
    if not is_json_content_type(request.headers.get("content-type")):
        raise UnsupportedMediaType("Send the body as application/json")
    data = parse_json(await request.body())
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object")
    return data


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validate_model(
    model: type[M], data: dict[str, Any], *, ignore: frozenset[str] = frozenset()
) -> M:
    """Validate a body against ``model``; 422 naming every bad or unknown field.

    ``ignore`` lists read-only fields a client may echo back from a GET; they are dropped.
    """
    if ignore:
        data = {k: v for k, v in data.items() if k not in ignore}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = []
        for item in exc.errors(include_url=False):
            if item["type"] == "extra_forbidden":
                message = "unknown field"
            elif item["type"] == "string_too_long":
                message = too_long(item["ctx"]["max_length"])
            else:
                message = item["msg"]
            errors.append(FieldError(_field_name(item["loc"]), message))
        raise InvalidInput.of(errors) from None


def replied(reply: idempotency.Reply) -> Response:
    """The HTTP answer of a (stored or replayed) idempotent request."""
    headers = dict(reply.headers)
    headers.pop("content-length", None)
    if reply.replayed:
        headers[idempotency.REPLAYED_HEADER] = "true"
    return Response(reply.body, reply.status, headers=headers)
