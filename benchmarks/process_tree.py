"""Memory and CPU of this process tree, read from /proc: the benchmark's own instruments.

The tree is this process and all its descendants: the embedded Elasticsearch (under its
launcher), Redis, the Celery workers and their pool children. Each process is put in a
component by its command line, so figures can be split by part of the stack.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path


def descendants(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The command name may contain spaces and parentheses: split after the last ')'.
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children[ppid].append(int(entry))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def component(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if pid == os.getpid():
        return "driver"
    if "java" in cmd or "elasticsearch" in cmd:
        return "elasticsearch"
    if "redis-server" in cmd:
        return "redis"
    if "celery" in cmd:
        return "worker-cpu" if " cpu " in f" {cmd} " else "worker-io"
    return "other"


def machine_busy_cpu_s() -> float:
    """Return CPU seconds all processes on the machine have spent busy since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_by_component() -> dict[str, float]:
    """Return user+system CPU seconds used so far by each live part of this process tree."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = defaultdict(float)
    for pid in descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime and stime of the process itself: children it reaped (py-spy, say) not included.
        totals[component(pid)] += (int(fields[11]) + int(fields[12])) / ticks
    return dict(totals)


def _memory_kib(pid: int) -> tuple[int, int]:
    """Return (RSS, PSS) of a process in KiB, (0, 0) if it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {}
    for line in rollup.splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name] = int(rest.split()[0])
    return values.get("Rss", 0), values.get("Pss", 0)


class MemorySampler:
    """Samples RSS and PSS of this process tree every ``every_s``; keeps the peak."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s = every_s
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.peak_parts: dict[str, int] = {}
        self.peak_processes: list[tuple[str, int]] = []
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every_s)

    def sample(self) -> None:
        """Take one sample of the whole tree."""
        parts: dict[str, int] = defaultdict(int)
        processes: list[tuple[str, int]] = []
        rss_total = pss_total = 0
        for pid in descendants(os.getpid()):
            rss, pss = _memory_kib(pid)
            rss_total += rss
            pss_total += pss
            parts[component(pid)] += rss
            if rss:
                processes.append((component(pid), rss))
        self.samples += 1
        if rss_total > self.peak_rss_kib:
            self.peak_rss_kib, self.peak_parts = rss_total, dict(parts)
            self.peak_processes = sorted(processes, key=lambda p: -p[1])
        self.peak_pss_kib = max(self.peak_pss_kib, pss_total)
