"""Factory for Elasticsearch clients, plus the adapter that lets them talk to the 7.9 engine."""

from __future__ import annotations

import re
import time
from typing import Any

import elastic_transport
from elastic_transport import HttpHeaders, TransportError
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import ApiError, Elasticsearch

from newsdesk.settings import Settings

# The 9.x client asks for "compatible-with=9" media types, which a 7.9 server answers with 406.
_COMPAT_MEDIA_TYPE = re.compile(
    r"application/vnd\.elasticsearch\+(json|x-ndjson)\s*;\s*compatible-with=\d+"
)
_PRODUCT_HEADER = "X-Elastic-Product"


class Es7CompatNode(elastic_transport.Urllib3HttpNode):
    """HTTP node that lets the 9.x client talk to the embedded Elasticsearch 7.9 engine."""

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        """Send the request with plain JSON media types; mark the answer as from Elasticsearch."""
        if headers:
            # The client rewrites user-supplied headers after merging, so this is the
            # only layer where the vendor media type can be undone.
            rewritten = HttpHeaders()
            for name, value in headers.items():
                rewritten[name] = _COMPAT_MEDIA_TYPE.sub(r"application/\1", value)
            headers = rewritten
        response = super().perform_request(
            method, target, body=body, headers=headers, request_timeout=request_timeout
        )
        # 7.9 predates the product header; without it the client raises UnsupportedProductError.
        if _PRODUCT_HEADER not in response.meta.headers:
            response.meta.headers[_PRODUCT_HEADER] = "Elasticsearch"
        return response


def build_es_client(
    url: str,
    *,
    compat_7x: bool = False,
    username: str | None = None,
    password: str | None = None,
    ca_certs: str | None = None,
    request_timeout_s: float = 30.0,
    **options: Any,
) -> Elasticsearch:
    """Build an Elasticsearch client; the single place every part of Newsdesk gets one from."""
    client_options: dict[str, Any] = {"request_timeout": request_timeout_s}
    if compat_7x:
        # Only for the embedded 7.9 engine: a configured cluster must negotiate normally.
        client_options["node_class"] = Es7CompatNode
    if username is not None:
        client_options["basic_auth"] = (username, password or "")
    if ca_certs is not None:
        client_options["ca_certs"] = ca_certs
    client_options.update(options)
    return Elasticsearch(url, **client_options)


def es_client_for(settings: Settings, *, request_timeout_s: float = 30.0) -> Elasticsearch:
    """Build the client for the configured cluster (URL, credentials, CA, 7.x engine)."""
    if not settings.es_url:
        raise ValueError("NEWSDESK_ES_URL is not set")
    return build_es_client(
        settings.es_url,
        compat_7x=settings.es_compat_7x,
        username=settings.es_username,
        password=settings.es_password,
        ca_certs=settings.es_ca_certs,
        request_timeout_s=request_timeout_s,
    )


def _client_urls(es: Elasticsearch) -> str:
    """Describe the nodes a client talks to, for error messages."""
    try:
        nodes = es.transport.node_pool.all()
        urls = [f"{n.config.scheme}://{n.config.host}:{n.config.port}" for n in nodes]
        return ", ".join(urls) or "<no nodes>"
    except AttributeError:  # transport internals moved: a description must not hide the error
        return "<unknown>"


def wait_for_es(es: Elasticsearch, timeout_s: float) -> None:
    """Block until cluster health is yellow or green, or raise RuntimeError after timeout_s."""
    deadline_s = time.monotonic() + timeout_s
    last_problem = "no answer yet"
    while True:
        remaining_s = deadline_s - time.monotonic()
        if remaining_s <= 0:
            raise RuntimeError(
                f"Elasticsearch at {_client_urls(es)} did not reach yellow health "
                f"within {timeout_s:.0f} s (last problem: {last_problem})"
            )
        # Let the server do the waiting, but in short slices so a dead node is retried.
        wait_s = max(1, min(5, int(remaining_s)))
        try:
            health = es.options(request_timeout=wait_s + 5, ignore_status=408).cluster.health(
                wait_for_status="yellow", timeout=f"{wait_s}s"
            )
            status = health.get("status")
            if status in ("yellow", "green") and not health.get("timed_out", False):
                return
            last_problem = f"health is {status}"
        except (TransportError, ApiError) as exc:
            last_problem = f"{type(exc).__name__}: {exc}"
            time.sleep(min(0.5, max(0.0, deadline_s - time.monotonic())))
