"""A base for local servers that start and stop, usable as context managers."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class StartStop:
    """``with server:`` starts it on entry and stops it on exit, exceptions included."""

    def start(self) -> str:
        """Start the server and return its URL."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server; calling it twice is harmless."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
