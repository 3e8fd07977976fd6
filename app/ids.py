"""Server-generated ids: an opaque string with a kind prefix (``asgn_``, ``act_``, ``ms_`` ...)."""

from __future__ import annotations

import re
import secrets

# People and organisation ids are kept as given; they must still be safe, printable keys.
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\Z")
EXTERNAL_ID_RULE = "must be 1-64 letters, digits, '_', '.', ':' or '-'"
MAX_ID_LENGTH = 64  # of any id a client sends: people, organisations, records, types


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def is_valid_external_id(value: str) -> bool:
    return bool(EXTERNAL_ID.match(value))
