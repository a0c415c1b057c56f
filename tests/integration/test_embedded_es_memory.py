"""The embedded node runs small: serial collector, a heap that grows on demand, no pre-touch.

Before, G1 with a pre-touched 512 MiB heap made the node ~720 MiB resident at idle and
~770 MiB while indexing, the largest part of the stack's memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from newsdesk.embedded.es_server import DEFAULT_HEAP_MB, INITIAL_HEAP_MB

# Metaspace, code cache, symbols and threads come on top of the heap: ~150 MiB here.
NON_HEAP_ALLOWANCE_MIB = 256
MIB = 1024 * 1024


def _node(es: Elasticsearch, metric: str) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = es.nodes.info(metric=metric)["nodes"]
    return next(iter(nodes.values()))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def test_the_jvm_uses_the_serial_collector_and_a_growing_heap(es: Elasticsearch) -> None:
    jvm = _node(es, "jvm")["jvm"]
    assert jvm["gc_collectors"] == ["Copy", "MarkSweepCompact"]
    # The serial collector reports one survivor space less than -Xmx as the maximum.
    assert 0.9 * DEFAULT_HEAP_MB * MIB <= jvm["mem"]["heap_max_in_bytes"] <= DEFAULT_HEAP_MB * MIB
    arguments = jvm["input_arguments"]
    # ES itself adds -XX:+AlwaysPreTouch; the last of the two wins.
    assert [arg for arg in arguments if "AlwaysPreTouch" in arg][-1] == "-XX:-AlwaysPreTouch"
    assert f"-Xms{INITIAL_HEAP_MB}m" in arguments


def test_the_parent_breaker_does_not_count_garbage(es: Elasticsearch) -> None:
    settings = _node(es, "settings")["settings"]
    assert settings["indices"]["breaker"]["total"]["use_real_memory"] == "false"


def test_the_node_stays_well_below_its_old_footprint(es: Elasticsearch) -> None:
    pid = int(_node(es, "process")["process"]["id"])
    assert _rss_mib(pid) < DEFAULT_HEAP_MB + NON_HEAP_ALLOWANCE_MIB
