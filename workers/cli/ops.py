"""``newsdesk setup`` and ``newsdesk status``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from newsdesk.outcomes import read_totals
from newsdesk.search.bulk import pending_count
from newsdesk.search.setup import IndexSetupError, ensure_index
from newsdesk.state import redis_state
from newsdesk.state.dead_letters import count_dead_letters
from newsdesk.state.heartbeat import alive_hosts
from newsdesk.state.outages import Outage, recent_outages
from workers.cli.common import (
    DATA_DIR_OPTION,
    JSON_OPTION,
    connect_es,
    connect_redis,
    fail,
    load_settings,
    out,
    print_json,
    services_or_embedded,
)
from workers.logs import redact_url

RECENT_OUTAGES = 5  # shown by `status --json`; the newest is the headline


def setup(
    kibana: str | None = typer.Option(
        None, "--kibana", help="Kibana URL: import the bundled saved objects."
    ),
    data_dir: Path | None = DATA_DIR_OPTION,
) -> None:
    """Create or upgrade the index template, versioned index and alias (idempotent)."""
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        es = connect_es(resolved)
        try:
            report = ensure_index(es, resolved.index_alias)
        except IndexSetupError as exc:
            fail(str(exc))
    action = "created" if report.created_index else "up to date"
    out.print(f"index {report.index} behind alias '{report.alias}': {action}")
    kibana_url = kibana or settings.kibana_url
    if kibana_url:
        from workers.kibana import KibanaImportError, import_saved_objects

        try:
            count = import_saved_objects(kibana_url, settings)
        except KibanaImportError as exc:
            fail(str(exc), code=3)
        out.print(f"Kibana at {redact_url(kibana_url)}: {count} saved object(s) imported")


def status(as_json: bool = JSON_OPTION, data_dir: Path | None = DATA_DIR_OPTION) -> None:
    """Per feed: last poll, HTTP status, counts, last error; backlog, dead letters, outages."""
    settings = load_settings(data_dir=data_dir)
    with services_or_embedded(settings) as (resolved, _stack):
        r = connect_redis(resolved)
        feed_ids = sorted(redis_state.scheduled_feed_ids(r) | _known_feed_ids(r))
        feeds = {fid: redis_state.feed_status(r, fid) for fid in feed_ids}
        totals = read_totals(r)
        backlog = pending_count(r)
        dead = count_dead_letters(r)
        outages = recent_outages(r, limit=RECENT_OUTAGES)
        workers = alive_hosts(r, "worker")
        schedulers = alive_hosts(r, "scheduler")
    if as_json:
        print_json(
            {
                "feeds": feeds,
                "totals": totals.to_json(),
                "index_backlog": backlog,
                "dead_letters": dead,
                "last_outage": outages[0].to_json() if outages else None,
                "outages": [o.to_json() for o in outages],
                "workers": workers,
                "schedulers": schedulers,
            }
        )
        return
    table = Table(title="feeds")
    for column in (
        "feed",
        "last poll",
        "outcome",
        "HTTP",
        "items",
        "indexed",
        "failed",
        "last error",
    ):
        table.add_column(column, overflow="fold")
    for fid, st in feeds.items():
        indexed = sum(int(v) for k, v in st.items() if k.startswith("articles:indexed"))
        failed = sum(int(v) for k, v in st.items() if k.startswith("articles:failed"))
        table.add_row(
            st.get("name", fid), _when(st.get("last_poll_at")), st.get("last_outcome", ""),
            st.get("last_http_status", ""), st.get("items_seen", "0"), str(indexed), str(failed),
        )  # fmt: skip
    out.print(table)
    for fid, st in feeds.items():
        if st.get("last_error"):
            out.print(
                f"[red]last error[/] {st.get('name', fid)}: {st['last_error']}", highlight=False
            )
    out.print(f"articles: {totals.articles or '{}'}")
    out.print(f"polls: {totals.polls or '{}'}")
    out.print(
        f"index backlog: {backlog}; workers alive: {len(workers)}; "
        f"schedulers alive: {len(schedulers)}"
    )
    letters = ", ".join(f"{stage} {count}" for stage, count in sorted(dead.items()))
    out.print(f"dead letters: {letters or 'none'}" + (" (newsdesk dlq list)" if dead else ""))
    out.print(f"last outage: {_outage_line(outages[0]) if outages else 'none recorded'}")


def _outage_line(outage: Outage) -> str:
    if outage.duration_s is None:
        return f"{outage.service} DOWN since {_when(str(outage.started_at))}: {outage.error}"
    return (
        f"{outage.service} down {_when(str(outage.started_at))} for "
        f"{outage.duration_s:.1f} s: {outage.error}"
    )


def _known_feed_ids(r: object) -> set[str]:
    raw = r.hkeys(redis_state.FEEDS_KEY)  # type: ignore[attr-defined]
    return {k.decode() if isinstance(k, bytes) else str(k) for k in raw}


def _when(epoch: str | None) -> str:
    if not epoch:
        return "never"
    return dt.datetime.fromtimestamp(float(epoch), tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
