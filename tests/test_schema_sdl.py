"""Schema quality: the SDL committed as ``schema.graphql`` is the schema the code builds,
and every type, field, argument and enum value we define says what it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import get_introspection_query, graphql_sync

from app.settings import Settings
from schema import build_schema

SDL = Path(__file__).resolve().parent.parent / "schema.graphql"
# Scalars GraphQL itself defines (their descriptions are the specification's).
BUILT_IN = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def _schema() -> Any:
    return build_schema(Settings(jwt_secret="s" * 40, _env_file=None))


def test_exported_sdl_is_current():
    current = _schema().as_str() + "\n"
    committed = SDL.read_text(encoding="utf-8") if SDL.exists() else ""
    assert committed == current, (
        "schema.graphql is stale: run `make schema` (or `gateway export-schema > "
        "schema.graphql`) and commit the result"
    )


def _introspect() -> list[dict[str, Any]]:
    result = graphql_sync(
        _schema()._schema, get_introspection_query(descriptions=True, input_value_deprecation=True)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    types: list[dict[str, Any]] = result.data["__schema"]["types"]
    return [t for t in types if not t["name"].startswith("__") and t["name"] not in BUILT_IN]


def test_every_type_field_argument_and_value_has_a_description():
    missing: list[str] = []
    for kind in _introspect():
        name = kind["name"]
        if not kind["description"]:
            missing.append(f"type {name}")
        for field in (kind.get("fields") or []) + (kind.get("inputFields") or []):
            if not field["description"]:
                missing.append(f"field {name}.{field['name']}")
            for argument in field.get("args") or []:
                if not argument["description"]:
                    missing.append(f"argument {name}.{field['name']}({argument['name']})")
        for value in kind.get("enumValues") or []:
            if not value["description"]:
                missing.append(f"enum value {name}.{value['name']}")
    assert missing == [], "describe these in the domain's schema module:\n" + "\n".join(missing)


def test_every_deprecation_gives_a_reason():
    unexplained = [
        f"{kind['name']}.{item['name']}"
        for kind in _introspect()
        for item in (kind.get("fields") or []) + (kind.get("enumValues") or [])
        if item.get("isDeprecated") and not (item.get("deprecationReason") or "").strip()
    ]
    assert unexplained == []
