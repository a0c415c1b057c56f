"""Newsdesk against a peer, news-please, on the article-body benchmark pages, in one run.

news-please (PyPI) pins libraries Newsdesk cannot share, so it is installed in its own
virtualenv and run over the pages by newsplease_runner.py under that interpreter,
pinned to one core; Newsdesk's extraction-and-metadata stage (``process_page``) then runs
over the same pages in this process, pinned the same way. Both texts are scored here
with the benchmark's published shingle method (scoring.py).

    python3 -m venv /tmp/np-venv && /tmp/np-venv/bin/pip install news-please==1.6.16
    .venv/bin/python benchmarks/peer.py [--np-python /tmp/np-venv/bin/python] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from process_limit import page_ref
from scoring import Page, load_pages, match, summarize

from newsdesk.errors import PermanentError
from newsdesk.stages.process import process_page

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE.parents[1] / "shared" / "data" / "article-body-benchmark"
NP_VENV = Path(tempfile.gettempdir()) / "np-venv"
NP_PYTHON = Path(os.environ.get("NEWSPLEASE_PYTHON", str(NP_VENV / "bin" / "python")))
WARMUP_PAGES = 3


def newsdesk_texts(pages: list[Page]) -> tuple[dict[str, str], float, float]:
    """Return process_page's body per page, and the wall and CPU seconds it took."""

    def body(page: Page) -> str:
        try:
            html = page.html.encode("utf-8")
            return process_page(page_ref(page.url), html, min_body_chars=0).body
        except PermanentError:
            return ""

    for page in pages[:WARMUP_PAGES]:
        body(page)
    wall_started, cpu_started = time.perf_counter(), time.process_time()
    texts = {page.page_id: body(page) for page in pages}
    return texts, time.perf_counter() - wall_started, time.process_time() - cpu_started


def newsplease_texts(np_python: Path, data: Path, limit: int) -> dict[str, Any]:
    """Return the runner's JSON (texts, timings, version); raise RuntimeError if it fails."""
    if not np_python.exists():
        raise RuntimeError(
            f"news-please interpreter {np_python} not found: python3 -m venv {NP_VENV} && "
            f"{NP_VENV}/bin/pip install news-please==1.6.16 (or set NEWSPLEASE_PYTHON)"
        )
    cmd = [str(np_python), str(HERE / "newsplease_runner.py"), str(data)]
    done = subprocess.run(
        [*cmd, "--limit", str(limit)], capture_output=True, text=True, timeout=1_800, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"news-please runner failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(data: Path = DATA_DIR, np_python: Path = NP_PYTHON, limit: int = 0) -> dict[str, Any]:
    """Return precision/recall/F1 and pages/s of news-please and of process_page."""
    pages = load_pages(data)[: limit or None]
    out: dict[str, Any] = {"pages": len(pages), "load_before": os.getloadavg()}
    try:
        peer = newsplease_texts(np_python, data, limit)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        out["news_please_error"] = str(exc)
        peer = None
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        ours, wall_s, cpu_s = newsdesk_texts(pages)
    finally:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    runs = {"newsdesk_process_page": (ours, wall_s, cpu_s)}
    if peer is not None:
        out["news_please_version"] = peer["version"]
        runs["news_please"] = (peer["texts"], peer["wall_s"], peer["cpu_s"])
    for name, (texts, wall, cpu) in runs.items():
        scores = summarize([match(p.truth, texts.get(p.page_id, "")) for p in pages])
        out[name] = {
            "precision": scores.precision,
            "recall": scores.recall,
            "f1": scores.f1,
            "pages_per_s": len(pages) / wall,
            "pages_per_cpu_s": len(pages) / cpu,
        }
    if peer is not None:
        ours, theirs = out["newsdesk_process_page"], out["news_please"]
        out["speedup"] = ours["pages_per_s"] / theirs["pages_per_s"]
        # Per CPU second: not skewed when other load on the machine hits one run harder.
        out["speedup_cpu"] = ours["pages_per_cpu_s"] / theirs["pages_per_cpu_s"]
    out["load_after"] = os.getloadavg()
    return out


def main() -> None:
    """Print the comparison as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--np-python", type=Path, default=NP_PYTHON)
    parser.add_argument("--limit", type=int, default=0, help="first N pages only (0: all)")
    args = parser.parse_args()
    print(json.dumps(run(args.data, args.np_python, args.limit), indent=2))


if __name__ == "__main__":
    main()
