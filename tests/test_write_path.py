"""No door opens a write session or publishes an event: every write goes through a
service use case run by the unit of work (``app/services/work.py``), which records the
events in the outbox and publishes them after the commit.

Checked on the source: a call of ``.write()``, ``.ambient()``, ``.begin()``,
``.publish()`` or ``.deliver()``, or a construction of ``Event(...)``, in any module of
``schema/``, ``resolvers/`` or ``app/rest/`` fails this test with the place it is at.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOORS = ("schema", "resolvers", "app/rest")
FORBIDDEN_METHODS = frozenset({"write", "ambient", "begin", "begin_nested", "publish", "deliver"})
FORBIDDEN_CALLS = frozenset({"Event"})


def _offences(path: Path, root: Path = ROOT) -> list[str]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        name = (
            callee.attr
            if isinstance(callee, ast.Attribute) and callee.attr in FORBIDDEN_METHODS
            else callee.id
            if isinstance(callee, ast.Name) and callee.id in FORBIDDEN_CALLS
            else None
        )
        if name is not None:
            found.append((node.lineno, f"{path.relative_to(root)}:{node.lineno}: {name}(...)"))
    return [offence for _, offence in sorted(found)]


def test_no_door_opens_a_write_session_or_publishes():
    modules = [path for door in DOORS for path in sorted((ROOT / door).rglob("*.py"))]
    assert len(modules) > 20  # the doors are where this test looks
    offences = [offence for path in modules for offence in _offences(path)]
    assert offences == []


def test_the_check_finds_a_door_that_writes(tmp_path: Path):
    """The check itself: a door module that opens a write unit and publishes is caught."""
    door = tmp_path / "door.py"
    door.write_text(
        "async def f(ctx):\n"
        "    async with ctx.db.write() as session:\n"
        "        pass\n"
        "    ctx.events.publish(Event('x'))\n"
    )
    assert [o.rsplit(": ", 1)[1] for o in _offences(door, tmp_path)] == [
        "write(...)",
        "Event(...)",
        "publish(...)",
    ]
