"""The search page in a real headless Chromium, driven over the DevTools protocol.

Chromium talks DevTools over a pipe (``--remote-debugging-pipe``: fd 3 in, fd 4 out,
NUL-separated JSON), so no WebDriver, no extra Python package and no debugging port.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from api_support import XSS_TITLE, build_corpus, serve_api

from newsdesk.search.client import build_es_client
from newsdesk.settings import Settings

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--remote-debugging-pipe", "--window-size=1280,900",
)  # fmt: skip
_FD_SHIM = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)
COMMAND_TIMEOUT_S = 20.0
WAIT_TIMEOUT_S = 15.0


def _chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is not installed (apt-get install chromium); CI must not skip")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def _pipe_above(lowest_fd: int) -> tuple[int, int]:
    """Return a pipe whose fds are above ``lowest_fd``, so the shim's dup2 clobbers neither."""
    fds = []
    for fd in os.pipe():
        fds.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest_fd + 1))
        os.close(fd)
    return fds[0], fds[1]


class Browser:
    """A headless Chromium and one page in it, driven over the DevTools pipe."""

    def __init__(self, binary: str, profile_dir: str) -> None:
        to_chrome_r, self._to_chrome = _pipe_above(4)
        self._from_chrome, from_chrome_w = _pipe_above(4)
        # DevTools reads fd 3 and writes fd 4; a tiny exec shim puts the pipes there
        # (sh cannot name fds above 9, and subprocess cannot renumber them).
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _FD_SHIM, str(to_chrome_r), str(from_chrome_w), binary,
             *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}"],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        attached = self._call("Target.attachToTarget", targetId=target, flatten=True)
        self._session: str | None = attached["sessionId"]

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if getattr(self, "_session", None):
            message["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline_s = time.monotonic() + COMMAND_TIMEOUT_S
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next_id:  # events have no id: skip them
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    result: dict[str, Any] = reply["result"]
                    return result
            remaining_s = deadline_s - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(0.0, remaining_s))
            if not ready:
                raise TimeoutError(f"Chromium did not answer {method}")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk

    def eval(self, expression: str) -> Any:
        """Return the value of a JavaScript expression in the page."""
        reply = self._call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, expression: str) -> Any:
        """Return the expression's value once it is truthy; fail after WAIT_TIMEOUT_S."""
        deadline_s = time.monotonic() + WAIT_TIMEOUT_S
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline_s:
                raise AssertionError(f"timed out waiting for: {expression}")
            time.sleep(0.05)

    def goto(self, url: str) -> None:
        """Open a URL and wait until its first search has rendered."""
        self._call("Page.navigate", url=url)
        self.wait_for("document.body && document.body.dataset.searches === '1'")

    def searches(self) -> int:
        """Return how many search round trips the page has completed."""
        return int(self.eval("document.body.dataset.searches || '0'"))

    def type_text(self, selector: str, text: str) -> None:
        """Focus an input, select its content and type text over it, as a person would."""
        self.eval(f"(e => {{ e.focus(); e.select(); }})(document.querySelector({selector!r}))")
        self._call("Input.insertText", text=text)

    def press_enter(self) -> None:
        """Press and release the Enter key in the focused element."""
        for kind in ("keyDown", "keyUp"):
            text = "\r" if kind == "keyDown" else ""
            self._call("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter",
                       windowsVirtualKeyCode=13, text=text)  # fmt: skip

    def click(self, selector: str) -> None:
        """Click the middle of the element with a real mouse press and release."""
        box = self.eval(
            f"(e => {{ e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();"
            f" return [r.x + r.width / 2, r.y + r.height / 2]; }})"
            f"(document.querySelector({selector!r}))"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self._call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                       button="left", clickCount=1)  # fmt: skip

    def close(self) -> None:
        """Ask Chromium to quit; kill it if it does not."""
        try:
            self._session = None
            self._call("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture(scope="module")
def page_url(base_settings: Settings) -> Iterator[str]:
    """Return the URL of the search page, served by uvicorn over the indexed corpus."""
    assert base_settings.redis_url and base_settings.es_url
    r = redis.Redis.from_url(base_settings.redis_url)
    es = build_es_client(base_settings.es_url, compat_7x=True)
    try:
        build_corpus(r, es)
    finally:
        r.close()
        es.close()
    with serve_api(base_settings) as base_url:
        yield base_url + "/"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Return a fresh headless Chromium with its own throwaway profile."""
    binary = _chromium_binary()
    with tempfile.TemporaryDirectory(prefix="newsdesk-chromium-") as profile:
        started = Browser(binary, profile)
        try:
            yield started
        finally:
            started.close()


def _titles(browser: Browser) -> list[str]:
    titles: list[str] = browser.eval(
        "[...document.querySelectorAll('#results .hit-title')].map(e => e.textContent)"
    )
    return titles


def _count(browser: Browser) -> str:
    return str(browser.eval("document.getElementById('count').textContent"))


def _search_done(browser: Browser, before: int) -> None:
    browser.wait_for(f"Number(document.body.dataset.searches) > {before}")


def test_type_a_query_tick_a_facet_and_see_results_change(browser: Browser, page_url: str) -> None:
    browser.goto(page_url)
    assert _count(browser).startswith("15 articles")

    before = browser.searches()
    browser.type_text("#q", "ferry")
    browser.press_enter()
    _search_done(browser, before)
    assert _count(browser).startswith("5 articles")
    assert "Strike over: ferries sail on time" in _titles(browser)
    marked = browser.eval("[...document.querySelectorAll('#results mark')].map(m => m.textContent)")
    assert {m.lower() for m in marked} >= {"ferry", "ferries"}

    box = "#facets input[data-facet='source'][data-value='Lakeside Post']"
    label = browser.eval(f"document.querySelector({box!r}).parentElement.textContent")
    assert label == "Lakeside Post(2)"
    before = browser.searches()
    browser.click(box)
    _search_done(browser, before)
    assert _count(browser).startswith("2 articles")
    assert sorted(_titles(browser)) == [
        "Ferry crew strike called off after late talks",
        "Harbour ferry timetable changes from Monday",
    ]
    assert browser.eval(f"document.querySelector({box!r}).checked") is True
    # The choice is kept in the address, so a reload or a shared link shows the same.
    assert browser.eval("location.search") == "?q=ferry&source=Lakeside+Post"


def test_date_filter(browser: Browser, page_url: str) -> None:
    browser.goto(page_url)
    before = browser.searches()
    browser.eval(
        "(e => { e.value = '2026-03-04'; e.dispatchEvent(new Event('change')); })"
        "(document.getElementById('since'))"
    )
    _search_done(browser, before)
    assert _count(browser).startswith("4 articles")
    assert browser.eval("location.search") == "?since=2026-03-04"


def test_more_button_pages_through_every_result_once(browser: Browser, page_url: str) -> None:
    browser.goto(page_url + "?sort=date&size=4")
    ids_js = "[...document.querySelectorAll('#results .hit')].map(e => e.dataset.id)"
    assert len(browser.eval(ids_js)) == 4
    for shown in (8, 12, 15):
        assert browser.eval("document.getElementById('more').hidden") is False
        before = browser.searches()
        browser.click("#more")
        _search_done(browser, before)
        assert len(browser.eval(ids_js)) == shown
    assert browser.eval("document.getElementById('more').hidden") is True
    ids = browser.eval(ids_js)
    assert len(set(ids)) == 15
    assert _titles(browser)[-1] == "Council publishes draft budget"  # the undated one, last


def test_text_from_the_index_is_never_run_as_markup(browser: Browser, page_url: str) -> None:
    browser.goto(page_url + "?q=gala")
    assert _titles(browser) == [XSS_TITLE]
    assert browser.eval("window.__xss === undefined") is True
    assert (
        browser.eval(
            "document.querySelectorAll('#results img, #results script, #results b').length"
        )
        == 0
    )
    snippet = browser.eval("document.querySelector('#results .snippet').textContent")
    assert "</script> The harbour gala" in snippet and "<img src=x onerror=" in snippet
    tags = browser.eval("[...document.querySelectorAll('#facets input')].map(e => e.dataset.value)")
    assert "<i>events</i>" in tags
