"""Sampling profiles of the running workers with py-spy, summarised per function.

py-spy attaches to live processes without restarting them, so the profile is of the
real workers under the real load. It is not a Newsdesk dependency: install it anywhere
(``python3 -m venv /tmp/tools-venv && /tmp/tools-venv/bin/pip install py-spy``) and
point ``PY_SPY`` at it, or put it on PATH. Without it, profiling is skipped and said so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from types import TracebackType

from process_tree import component, descendants

PY_SPY_FALLBACK = Path(tempfile.gettempdir()) / "tools-venv" / "bin" / "py-spy"
RATE_HZ = 50


def py_spy() -> str | None:
    """Return the py-spy executable, or None if there is none."""
    configured = os.environ.get("PY_SPY")
    if configured:
        return configured
    return shutil.which("py-spy") or (str(PY_SPY_FALLBACK) if PY_SPY_FALLBACK.exists() else None)


class WorkerProfiles:
    """Records every Celery worker process (pool children included) while in the block."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.files: dict[str, list[Path]] = {}

    def __enter__(self) -> WorkerProfiles:
        exe = py_spy()
        if exe is None:
            print("py-spy not found: no profile (set PY_SPY)", flush=True)
            return self
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for pid in descendants(os.getpid()):
            kind = component(pid)
            if not kind.startswith("worker"):
                continue
            out = self.out_dir / f"{kind}-{pid}.txt"
            cmd = [exe, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--format", "raw"]
            cmd += ["--output", str(out), "--nonblocking"]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self._procs.append((kind, proc))
            self.files.setdefault(kind, []).append(out)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for _, proc in self._procs:
            proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for _, proc in self._procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def summary(self, top: int = 12) -> dict[str, dict[str, object]]:
        """Return, per worker kind: samples, the functions in most stacks, self time by package."""
        out: dict[str, dict[str, object]] = {}
        for kind, paths in self.files.items():
            inclusive: Counter[str] = Counter()
            packages: Counter[str] = Counter()
            total = 0
            for path in paths:
                if not path.exists():
                    continue
                for line in path.read_text(errors="replace").splitlines():
                    stack, _, count_text = line.rpartition(" ")
                    if not count_text.isdigit() or not stack:
                        continue
                    count = int(count_text)
                    total += count
                    frames = stack.split(";")
                    packages[_package(frames[-1])] += count
                    # Count a function once per stack: the share of time spent inside it.
                    for frame in {_short(f) for f in frames if not _boring(f)}:
                        inclusive[frame] += count
            out[kind] = {
                "samples": total,
                "inclusive_share": {n: round(c / total, 3) for n, c in inclusive.most_common(top)},
                "self_share_by_package": {
                    n: round(c / total, 3) for n, c in packages.most_common(top)
                },
            }
        return out


def _where(frame: str) -> str:
    """Return the module path of a py-spy raw frame 'func (package/module.py:line)'."""
    return frame.partition(" (")[2].rsplit(":", 1)[0]


def _short(frame: str) -> str:
    """Return 'function (module path tail)' for a frame."""
    name = frame.partition(" (")[0]
    parts = _where(frame).split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


def _boring(frame: str) -> bool:
    """Tell the frames every sample has (Celery's loop, thread bootstrap, runpy)."""
    boring = ("celery/", "billiard/", "kombu/", "click/", "vine/", "threading.py", "<frozen")
    where = _where(frame)
    return where.startswith(boring) or "futures/thread" in where


def _package(frame: str) -> str:
    """Return the package a frame's code belongs to (``spacy``, ``newsdesk.enrich`` ...)."""
    parts = _where(frame).removesuffix(".py").split("/")
    if parts[0] in ("newsdesk", "workers", "tasks") and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0] if len(parts) > 1 else "stdlib"
