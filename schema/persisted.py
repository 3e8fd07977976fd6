"""Persisted queries: Apollo's automatic persisted queries (APQ) and an allow-list mode.

APQ (``GATEWAY_PERSISTED_QUERIES=apq``): a client sends
``extensions.persistedQuery = {version: 1, sha256Hash}``; without ``query`` the gateway
uses the stored text or answers ``PERSISTED_QUERY_NOT_FOUND`` (the client then sends the
text with the hash once; a hash that does not match the text is refused). The store is a
bounded in-process LRU, or Redis (``GATEWAY_REDIS_URL``) so every worker shares it.

Allow-list (``GATEWAY_PERSISTED_QUERIES=allowlist``): only documents whose SHA-256 is in
``GATEWAY_PERSISTED_QUERY_ALLOWLIST`` (a JSON object ``{hash: query}``) run, over HTTP and
WebSocket alike (``AllowListOnly`` checks every operation); a client may send the hash
alone. Anything else is ``PERSISTED_QUERY_NOT_ALLOWED``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLError
from redis.asyncio import Redis
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from app.settings import Settings

_TTL_SECONDS = 7 * 24 * 3600
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"


class PersistedQueryError(Exception):
    """Answered as a GraphQL error (HTTP 200), as APQ clients expect."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "data": None,
            "errors": [{"message": self.message, "extensions": {"code": self.code}}],
        }


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class QueryStore:
    """Hash -> query text: an LRU in the process, or Redis shared by workers."""

    def __init__(self, settings: Settings, max_entries: int = 1000) -> None:
        self._local: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries
        self._redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        self._prefix = f"{settings.redis_key_prefix}:apq:"

    async def get(self, digest: str) -> str | None:
        if self._redis is not None:
            value = await self._redis.get(self._prefix + digest)
            return value.decode() if isinstance(value, bytes) else value
        query = self._local.get(digest)
        if query is not None:
            self._local.move_to_end(digest)
        return query

    async def put(self, digest: str, query: str) -> None:
        if self._redis is not None:
            await self._redis.set(self._prefix + digest, query, ex=_TTL_SECONDS)
            return
        self._local[digest] = query
        self._local.move_to_end(digest)
        while len(self._local) > self._max:
            self._local.popitem(last=False)

    async def clear(self) -> None:
        """Forget every stored query (this store's Redis keys too)."""
        if self._redis is not None:
            async for key in self._redis.scan_iter(match=self._prefix + "*"):
                await self._redis.delete(key)
        self._local.clear()

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def load_allowlist(path: str | None) -> dict[str, str]:
    if not path:
        raise RuntimeError(
            "GATEWAY_PERSISTED_QUERIES=allowlist needs GATEWAY_PERSISTED_QUERY_ALLOWLIST"
        )
    entries = orjson.loads(Path(path).read_bytes())
    if not isinstance(entries, dict):
        raise RuntimeError("the persisted query allow-list must be a JSON object {hash: query}")
    for digest, query in entries.items():
        if sha256(query) != digest:
            raise RuntimeError(f"allow-list entry {digest[:12]}... does not match its query")
    return entries


class PersistedQueries:
    def __init__(self, settings: Settings) -> None:
        self.mode = settings.persisted_queries
        self.store = QueryStore(settings) if self.mode == "apq" else None
        self.allowlist = (
            load_allowlist(settings.persisted_query_allowlist) if self.mode == "allowlist" else {}
        )

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query text filled in, or a PersistedQueryError."""
        if self.mode == "off":
            return request
        persisted = (request.extensions or {}).get("persistedQuery")
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if persisted is not None and (
            not isinstance(digest, str)
            or not isinstance(persisted, dict)
            or persisted.get("version") != 1
        ):
            raise PersistedQueryError(
                "BAD_USER_INPUT", "persistedQuery needs version 1 and a sha256Hash"
            )
        if self.mode == "allowlist":
            return self._allowed(request, digest)
        if digest is None:
            return request
        assert self.store is not None
        if request.query is None:
            query = await self.store.get(digest)
            if query is None:
                raise PersistedQueryError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
            return replace(request, query=query)
        if sha256(request.query) != digest:
            raise PersistedQueryError("BAD_USER_INPUT", "provided sha does not match query")
        await self.store.put(digest, request.query)
        return request

    def _allowed(self, request: GraphQLRequestData, digest: str | None) -> GraphQLRequestData:
        """Fill in the text of an allow-listed hash; the check itself is ``AllowListOnly``."""
        if request.query is None and digest is not None:
            query = self.allowlist.get(digest)
            if query is None:
                raise PersistedQueryError(NOT_ALLOWED, "Only allow-listed operations may run here")
            return replace(request, query=query)
        return request

    async def clear(self) -> None:
        """Empty the APQ store (the test suite starts every test from an empty one)."""
        if self.store is not None:
            await self.store.clear()

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


class AllowListOnly(SchemaExtension):
    """Refuses every operation whose text is not on the allow-list (all transports)."""

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__()
        self.allowed = allowed

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query or ""
        if sha256(query) not in self.allowed:
            raise GraphQLError(
                "Only allow-listed operations may run here", extensions={"code": NOT_ALLOWED}
            )
        yield
