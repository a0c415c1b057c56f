"""The per-host request gate on a real Redis: slots, spacing, expiry, and isolation."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
import redis

from newsdesk.errors import TransientError
from newsdesk.http.politeness import host_key, host_slot
from newsdesk.settings import FetchLimits

LIMITS = FetchLimits(host_max_concurrency=2, host_min_delay_s=0, host_slot_wait_s=0.3)
NEWS_A, NEWS_B = "https://news.example/a", "https://news.example/b"


def test_a_third_request_to_a_host_waits_then_gives_up(r: redis.Redis) -> None:
    with (
        host_slot(r, "https://news.example/a", LIMITS),
        host_slot(r, "https://news.example/b", LIMITS),
    ):
        started = time.monotonic()
        with (
            pytest.raises(TransientError) as info,
            host_slot(r, "https://NEWS.example:81/", LIMITS),
        ):
            pass
        assert time.monotonic() - started >= 0.25
        # Another host is not affected.
        with host_slot(r, "https://other.example/a", LIMITS):
            pass
    assert info.value.reason == "host_busy"
    assert info.value.retry_after_s is not None and info.value.retry_after_s > 0
    assert "news.example" in str(info.value)
    # Both slots came back when their blocks ended.
    with (
        host_slot(r, "https://news.example/d", LIMITS),
        host_slot(r, "https://news.example/e", LIMITS),
    ):
        pass


def test_a_waiting_request_gets_the_slot_when_one_frees(r: redis.Redis) -> None:
    patient = FetchLimits(host_max_concurrency=1, host_min_delay_s=0, host_slot_wait_s=5)
    released = threading.Event()

    def hold() -> None:
        with host_slot(r, "https://news.example/a", patient):
            released.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    threading.Timer(0.3, released.set).start()
    started = time.monotonic()
    with host_slot(r, "https://news.example/b", patient):
        waited_s = time.monotonic() - started
    holder.join()
    assert 0.15 < waited_s < 2


def test_requests_to_one_host_are_spaced_out(r: redis.Redis) -> None:
    spaced = FetchLimits(host_max_concurrency=4, host_min_delay_s=0.3, host_slot_wait_s=5)
    starts: list[float] = []
    for path in ("a", "b", "c"):
        with host_slot(r, f"https://news.example/{path}", spaced):
            starts.append(time.monotonic())
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= 0.28 for gap in gaps), gaps


def test_a_crashed_holders_slot_expires(r: redis.Redis) -> None:
    # A worker that died mid-fetch left its token behind, already past its expiry.
    r.zadd(f"newsdesk:host:{host_key('https://news.example/')}:slots", {"dead": 1, "dead2": 2})
    with (
        host_slot(r, "https://news.example/a", LIMITS),
        host_slot(r, "https://news.example/b", LIMITS),
    ):
        pass


def test_concurrency_never_exceeds_the_cap_across_threads(r: redis.Redis) -> None:
    busy_limits = FetchLimits(host_max_concurrency=2, host_min_delay_s=0, host_slot_wait_s=10)
    lock = threading.Lock()
    inside = peak = 0

    def work() -> None:
        nonlocal inside, peak
        with host_slot(r, "https://news.example/x", busy_limits):
            with lock:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2


def test_the_gate_can_be_turned_off(r: redis.Redis) -> None:
    off = FetchLimits(host_max_concurrency=0, host_min_delay_s=0)
    with host_slot(r, "https://news.example/a", off), host_slot(r, "https://news.example/a", off):
        pass
    assert not list(r.scan_iter(match="newsdesk:host:*"))
