"""Support for the fault tests: a generated news site, and worker processes to kill.

The processes are real: ``celery -A workers.app worker`` and ``newsdesk scheduler`` as
subprocesses, each in its own process group so a test can SIGKILL one mid-task.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from newsdesk.demo.content import SITE_ROOT
from newsdesk.models import Article
from newsdesk.settings import Settings
from newsdesk.urls import url_id

_WORDS_TEXT = (
    "harbour council ferry budget school library bridge market river station museum "
    "hospital union strike vote mayor teachers nurses tram housing rents drought rescue "
    "festival court police fire storm flood bakery factory airport runway cyclists "
    "parking tax grant pension farmers orchard vineyard quarry mine forest wildlife "
    "whales seals gulls kayak lighthouse pier dock cargo crane shipyard engineers "
    "architects tenants landlord inspector auditor minister senator judge jury witness "
    "contract tender delay overrun deficit surplus refund fare ticket timetable signal "
    "carriage platform tunnel viaduct motorway junction roundabout pothole pavement"
)
WORDS = tuple(_WORDS_TEXT.split())
SLOW_PATH = "/slow"


def _paragraph(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(9, 16))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def _page(n: int) -> str:
    rng = random.Random(n)
    title = f"Report {n}: the {rng.choice(WORDS)} and the {rng.choice(WORDS)}"
    body = "\n".join(f"<p>{_paragraph(rng, 4)}</p>" for _ in range(4))
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta property="og:site_name" content="Fault Gazette"></head>\n'
        f"<body><article><h1>{title}</h1>\n{body}\n</article></body></html>\n"
    )


def write_site(root: Path, *, articles: int, slow: int = 0, slow_s: float = 3.0) -> list[str]:
    """Write a feed of distinct article pages (after ``slow`` links that answer late)."""
    (root / "a").mkdir(parents=True)
    (root / "misc").mkdir()
    # /slow serves this page after its delay; each link is its own article (?n=).
    shutil.copy(SITE_ROOT / "misc" / "small-article.html", root / "misc")
    links = [f"{{base_url}}{SLOW_PATH}?seconds={slow_s:g}&n={n}" for n in range(slow)]
    for n in range(articles):
        (root / "a" / f"{n}.html").write_text(_page(n))
        links.append(f"{{base_url}}/a/{n}.html")
    items = "".join(
        f"<item><title>Item {i}</title><link>{link.replace('&', '&amp;')}</link></item>\n"
        for i, link in enumerate(links)
    )
    (root / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Fault Gazette</title><link>{{base_url}}/</link>\n{items}</channel></rss>\n"
    )
    return links


def expected_ids(links: list[str], base_url: str) -> set[str]:
    """Return the document ids the feed's links must end up as."""
    return {url_id(link.replace("{base_url}", base_url)) for link in links}


def article(n: int, host: str = "faults.example") -> Article:
    """Return a small processed article, as the process stage would hand it to indexing."""
    url = f"https://{host}/story-{n}"
    return Article(
        url=url, link=url, title=f"Story {n}", body="Words about the harbour council. " * 10,
        feed_ids=("faults",), feed_names=("Faults",), source="Fault Times",
        fetched_at=datetime.now(UTC),
    )  # fmt: skip


def feeds_yaml(path: Path, feed_url: str) -> Path:
    """Write a feeds file with one feed and return its path."""
    path.write_text(f"feeds:\n  - name: Fault Gazette\n    url: {feed_url}\n    interval: 1h\n")
    return path


def wait_for(
    what: str,
    check: Callable[[], bool],
    timeout_s: float,
    *,
    detail: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` (and ``detail``) after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            message = f"timed out after {timeout_s:.0f} s waiting for {what}"
            raise AssertionError(f"{message}\n{detail()}")
        time.sleep(0.2)


class Processes:
    """Worker and scheduler subprocesses on one settings object, stopped on close."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
        self.env.update(settings.to_env())
        # Several workers of one test host must not fight over the metrics port.
        self.env["NEWSDESK_METRICS_PORT"] = "0"
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log_file:
            proc = subprocess.Popen(
                cmd, env=self.env, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: SIGKILL reaches all of it, only it
            )  # fmt: skip
        self.procs.append(proc)
        return proc

    def worker(self, concurrency: int = 4) -> subprocess.Popen[bytes]:
        """Start a Celery worker (thread pool) on every queue."""
        cmd = [
            sys.executable, "-m", "celery", "-A", "workers.app", "worker",
            "-Q", "io,cpu,index", "-P", "threads", "-c", str(concurrency),
            "-n", f"fault-{uuid.uuid4().hex[:6]}@%h", "--loglevel", "WARNING",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        return self._start("worker", cmd)

    def scheduler(self) -> subprocess.Popen[bytes]:
        """Start ``newsdesk scheduler``."""
        return self._start(
            "scheduler", [sys.executable, "-c", "from workers.cli import main; main()", "scheduler"]
        )

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a process's whole group, as the OOM killer or a lost node would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def logs(self) -> str:
        """Return the tail of every process log (for assertion messages)."""
        return "\n".join(
            f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-40:])
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def close(self) -> None:
        """Stop every process still running (SIGTERM, then SIGKILL)."""
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill(proc)
