"""`newsdesk run` starts a local worker again when it dies (killed by hand or by the kernel)."""

from __future__ import annotations

import signal
import time

from newsdesk.settings import Settings
from workers.embedded_stack import EmbeddedStack


def test_a_killed_worker_is_started_again_the_same_way(base_settings: Settings) -> None:
    # The session's Redis and Elasticsearch are given, so the stack starts no engine.
    stack = EmbeddedStack(base_settings, persist=False)
    with stack:
        first = stack.start_worker(queues=("io",), concurrency=1)
        assert stack.restart_exited_workers() == []  # alive: nothing to do

        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert stack.restart_exited_workers() == [-signal.SIGKILL]

        (second,) = stack._workers
        assert second.pid != first.pid
        time.sleep(1.0)
        assert second.poll() is None  # the new worker is running
        # Same queues, pool and concurrency (only the random node name differs).
        assert _without_name(second.args) == _without_name(first.args)
        assert stack.restart_exited_workers() == []
    assert second.poll() is not None  # stopped with the stack


def _without_name(args: object) -> list[str]:
    items = [str(a) for a in args]  # type: ignore[attr-defined]
    at = items.index("-n")
    return items[:at] + items[at + 2 :]
