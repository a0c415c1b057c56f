"""Request parameters of the search API: parsing and validation with clear 400 messages."""

from __future__ import annotations

import base64
import binascii
import inspect
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import HTTPException, Query, Request

from newsdesk.search.query import FACET_FIELDS

MAX_QUERY_CHARS = 1_000
MAX_CURSOR_CHARS = 4_096
# Fixed parameters of GET /search; the facet filters are added from FACET_FIELDS.
SEARCH_PARAMS = (
    "q",
    "since",
    "until",
    "sort",
    "collapse",
    "size",
    "cursor",
    "facets",
    "facet_size",
)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The sort values each sort order produces: (_score,) published_at millis, url.
_CURSOR_SHAPES: dict[str, tuple[tuple[type, ...], ...]] = {
    "relevance": ((int, float), (int,), (str,)),
    "date": ((int,), (str,)),
}


def bad_request(message: str) -> HTTPException:
    """Return the 400 error raised for a parameter the API cannot use."""
    return HTTPException(status_code=400, detail=message)


def parse_date(name: str, value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """Return an aware datetime from ``YYYY-MM-DD`` or ISO 8601; raise a 400 when unreadable.

    A bare date in ``until`` means the whole day, so ``end_of_day`` moves it to the next
    midnight (the range's upper bound is exclusive).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if _DATE_ONLY.fullmatch(text):
            day = date.fromisoformat(text)
            parsed = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return parsed + timedelta(days=1) if end_of_day else parsed
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise bad_request(
            f"{name}: {value[:40]!r} is not a date; use YYYY-MM-DD or an ISO 8601 timestamp "
            "such as 2026-11-20T08:00:00Z"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date_range(
    since: str | None, until: str | None
) -> tuple[datetime | None, datetime | None]:
    """Return the parsed ``since``/``until`` pair; raise a 400 if the range is empty."""
    start = parse_date("since", since)
    end = parse_date("until", until, end_of_day=True)
    if start and end and start >= end:
        raise bad_request(f"since ({since}) must be before until ({until})")
    return start, end


def encode_cursor(sort_values: Sequence[Any]) -> str:
    """Return the opaque cursor for the page after the hit with these sort values."""
    raw = json.dumps(list(sort_values), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str) -> list[Any] | None:
    """Return the search_after values in a cursor; raise a 400 if it is not one of ours."""
    if cursor is None or cursor == "":
        return None
    problem = f"cursor is malformed or was made for another sort than sort={sort}"
    if len(cursor) > MAX_CURSOR_CHARS:
        raise bad_request(problem)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
    except (binascii.Error, ValueError):
        raise bad_request(problem) from None
    shape = _CURSOR_SHAPES[sort]
    if not isinstance(values, list) or len(values) != len(shape):
        raise bad_request(problem)
    for value, types in zip(values, shape, strict=True):
        # bool is an int to Python but never a sort value.
        if isinstance(value, bool) or not isinstance(value, types):
            raise bad_request(problem)
    return values


def parse_facet_names(raw: list[str] | None) -> tuple[str, ...]:
    """Return the facets to count (all by default; repeated or comma-separated names)."""
    if not raw:
        return FACET_FIELDS
    names = [n.strip() for item in raw for n in item.split(",") if n.strip()]
    for name in names:
        if name not in FACET_FIELDS:
            raise bad_request(f"unknown facet {name!r}; facets are: {', '.join(FACET_FIELDS)}")
    return tuple(dict.fromkeys(names))


def facet_filters_dependency(facets: Sequence[str] = FACET_FIELDS) -> Callable[..., Any]:
    """Return a FastAPI dependency with one repeatable query parameter per facet field.

    The signature is generated from the facet list, so every facet shows up in the
    OpenAPI description and a new facet needs no change here.
    """

    def facet_filters(**values: list[str] | None) -> dict[str, list[str]]:
        # An empty value (a blank form field) filters nothing rather than matching nothing.
        chosen = {facets[int(key[1:])]: [x for x in v if x] for key, v in values.items() if v}
        return {name: v for name, v in chosen.items() if v}

    parameters = [
        inspect.Parameter(
            f"f{i}",  # parameter names must be identifiers; "entities.people" is the alias
            inspect.Parameter.KEYWORD_ONLY,
            default=Query(
                None,
                alias=name,
                description=f"Only articles whose `{name}` is one of these values "
                "(repeat the parameter to accept several).",
            ),
            annotation=list[str] | None,
        )
        for i, name in enumerate(facets)
    ]
    facet_filters.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return facet_filters


def reject_unknown_parameters(request: Request) -> None:
    """Raise a 400 for a query parameter /search does not know (often a misspelt facet)."""
    known = set(SEARCH_PARAMS) | set(FACET_FIELDS)
    for name in request.query_params:
        if name not in known:
            raise bad_request(
                f"unknown parameter {name!r}; facet filters are: {', '.join(FACET_FIELDS)}; "
                f"other parameters: {', '.join(SEARCH_PARAMS)}"
            )
