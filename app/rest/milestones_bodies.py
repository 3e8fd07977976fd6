"""Bodies of the milestone routes (contract 003): what they accept, and each item as the
contract shows it (``milestone_json``, from a ``MilestoneRecord``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.ids import MAX_ID_LENGTH
from app.rest.http import text
from app.services.milestone_badges import badge_url
from app.services.milestone_labels import Locale, accessibility_label
from app.services.milestone_reads import MilestoneRecord, MilestoneStatus
from app.services.milestone_rules import (
    MAX_PERIOD_DAYS,
    MAX_YEAR,
    MIN_YEAR,
    as_number,
    progress_percentage,
    remaining,
)
from app.timeutil import format_date, format_datetime

# --- bodies ---------------------------------------------------------------------------------


_Date = Annotated[str, text(10), Field(json_schema_extra={"format": "date"})]


class PeriodIn(BaseModel):
    """A calendar year, or both dates (a year with dates: both lie in it)."""

    model_config = ConfigDict(extra="forbid")

    year: (
        Annotated[int, Field(json_schema_extra={"minimum": MIN_YEAR, "maximum": MAX_YEAR})] | None
    ) = None
    start_date: _Date | None = Field(default=None, description="YYYY-MM-DD; with end_date")
    end_date: _Date | None = Field(
        default=None,
        description=f"YYYY-MM-DD, not before start_date; at most {MAX_PERIOD_DAYS} days in all",
    )


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total_hours: float
    unique_contacts_helped: int
    activity_count: int


class DetectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mentor_id: Annotated[str, text(MAX_ID_LENGTH)]
    period: PeriodIn
    summary: SummaryIn | None = None


class MilestoneUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Annotated[str, text(16, choices=list(MilestoneStatus))] | None = None
    achieved_value: float | None = None
    current_value: float | None = None
    achieved_at: Annotated[str, text(64)] | None = None
    progress_percentage: int | None = None


# Computed or fixed fields a client may echo back from a GET; a PUT ignores them.
READ_ONLY = frozenset(
    {"id", "mentor_id", "name", "type", "threshold", "remaining", "accessibility_label"}
    | {"badge_image_url", "period", "created_at", "updated_at"}
)


class PeriodOut(BaseModel):
    start_date: str
    end_date: str


class MilestoneOut(BaseModel):
    id: str
    mentor_id: str
    name: str
    type: str
    status: str
    threshold: int
    achieved_value: float | None = None
    achieved_at: str | None = None
    current_value: float | None = None
    progress_percentage: int | None = None
    remaining: float | None = None
    accessibility_label: str
    badge_image_url: str
    period: PeriodOut


class DeletedOut(BaseModel):
    deleted: bool
    id: str


# --- output ---------------------------------------------------------------------------------


def milestone_json(
    row: MilestoneRecord, locale: Locale, *, in_progress_view: bool = False
) -> dict[str, Any]:
    """One item as the contract shows it: achieved ones with ``achieved_value`` and
    ``achieved_at``; in-progress ones with ``achieved_value`` and ``progress_percentage``,
    or, on the in-progress route, ``current_value``, ``progress_percentage`` and
    ``remaining`` (and a label that says what remains)."""
    threshold = row.threshold
    out: dict[str, Any] = {
        "id": row.id,
        "mentor_id": row.mentor_id,
        "name": row.name,
        "type": row.type,
        "status": row.status,
        "threshold": threshold,
    }
    achieved = row.achieved
    if in_progress_view and not achieved:
        out["current_value"] = as_number(row.value)
        out["progress_percentage"] = progress_percentage(row.value, threshold)
        out["remaining"] = as_number(remaining(row.value, threshold))
    else:
        out["achieved_value"] = as_number(row.value)
        if achieved:
            out["achieved_at"] = format_datetime(row.achieved_at)
        else:
            out["progress_percentage"] = progress_percentage(row.value, threshold)
    out["accessibility_label"] = accessibility_label(
        kind=row.type,
        status=row.status,
        threshold=threshold,
        value=row.value,
        achieved_at=row.achieved_at,
        locale=locale,
        with_remaining=in_progress_view,
    )
    out["badge_image_url"] = badge_url(row.badge)
    out["period"] = {
        "start_date": format_date(row.period_start),
        "end_date": format_date(row.period_end),
    }
    return out
