"""Helpers for the hostile-input tests: a connect-recording listener, a backend that
cannot leave loopback, and a peak-RSS meter for this process."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpcore

_STATUS = Path("/proc/self/status")


class ConnectionRecorder:
    """A TCP listener that records every connection made to it, and answers nothing."""

    def __init__(self, host: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.base_url = (
            f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        )
        self.connections: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> ConnectionRecorder:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            conn.close()


class LoopbackOnlyBackend(httpcore.NetworkBackend):
    """Connects like httpcore's own backend, but refuses (and records) any non-loopback target.

    Placed under the guard in tests, it makes sure that even a broken guard cannot
    send a packet anywhere but this machine.
    """

    def __init__(self) -> None:
        self.inner = httpcore.SyncBackend()
        self.escaped: list[tuple[str, int]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if not ipaddress.ip_address(host).is_loopback:
            self.escaped.append((host, port))
            raise httpcore.ConnectError(f"test backend: {host} is not loopback")
        return self.inner.connect_tcp(host, port, timeout, local_address, socket_options)


def _status_kib(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class PeakRss:
    """Measures this process's peak resident memory over a stretch of time, in MiB.

    The kernel's high-water mark is reset at the start (``/proc/self/clear_refs``); a
    sampling thread backs it up where that reset is not permitted.
    """

    def __init__(self, interval_s: float = 0.01) -> None:
        self.interval_s = interval_s
        self.start_mib = 0.0
        self._sampled_kib = 0
        self._hwm_reset = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        """Reset the high-water mark and start sampling."""
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._hwm_reset = True
        except OSError:
            self._hwm_reset = False
        self.start_mib = _status_kib("VmRSS") / 1024
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling and return the peak RSS in MiB since :meth:`start`."""
        self._stop.set()
        self._thread.join(2)
        peak_kib = self._sampled_kib
        if self._hwm_reset:
            peak_kib = max(peak_kib, _status_kib("VmHWM"))
        return peak_kib / 1024

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._sampled_kib = max(self._sampled_kib, _status_kib("VmRSS"))
            time.sleep(self.interval_s)
