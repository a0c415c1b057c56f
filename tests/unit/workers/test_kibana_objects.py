"""The bundled Kibana saved objects are well-formed, importable by Kibana 9 and only use fields
the index mapping has, with a type Kibana can aggregate on where it must.

The objects are parsed the way Kibana stores them: JSON-in-a-string attributes
(`panelsJSON`, `searchSourceJSON`, `fieldFormatMap`, ...) are decoded, Lens panels are walked
through `state.datasourceStates.formBased.layers` and `state.visualization`, and dashboard
references are matched by the names Kibana derives from panel and control ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsdesk.search.setup import load_template
from workers.kibana import saved_object_files

# Field types Kibana can run terms / date histogram / min-max aggregations on.
AGGREGATABLE = {
    "keyword",
    "constant_keyword",
    "date",
    "date_nanos",
    "boolean",
    "byte",
    "short",
    "integer",
    "long",
    "unsigned_long",
    "float",
    "half_float",
    "double",
    "scaled_float",
}
NUMERIC = AGGREGATABLE - {"keyword", "constant_keyword", "date", "date_nanos", "boolean"}

# Highest `typeMigrationVersion` Kibana 9.0 knows for each type. Kibana migrates an imported
# object *up* from the version it states, and rejects one that claims a newer version than it
# knows; these keep the file importable by every 9.x. (Model versions are written 10.<n>.0:
# dashboard model 2 adds controlGroupInput.showApplySelections, 8.16; search model 5 adds
# `density`, 8.15; lens and index-pattern still use their last legacy migration.)
KIBANA_9_0_TYPE_VERSIONS = {
    "index-pattern": "8.0.0",
    "search": "10.5.0",
    "lens": "8.9.0",
    "dashboard": "10.2.0",
}
CORE_MIGRATION_VERSION = "8.8.0"

# Attributes the dashboard saved-object schema (model versions 1-2) defines; a typo would be
# silently dropped by Kibana.
DASHBOARD_ATTRIBUTES = {
    "title",
    "description",
    "kibanaSavedObjectMeta",
    "timeRestore",
    "timeFrom",
    "timeTo",
    "refreshInterval",
    "controlGroupInput",
    "panelsJSON",
    "optionsJSON",
    "hits",
    "version",
}
GRID_COLUMNS = 48  # Kibana dashboards are 48 grid columns wide.
RECORDS = "___records___"  # Lens' pseudo field for "count of documents".

# What the "News overview" dashboard must show, and the facets it must offer as controls.
REQUIRED_TERMS_FIELDS = {
    "source",
    "agency",
    "entities.people",
    "entities.organizations",
    "entities.places",
    "countries",
    "tags",
    "language",
    "story_id",
}
REQUIRED_CONTROL_FIELDS = {"source", "agency", "language", "tags", "entities.people"}
REQUIRED_SEARCHES = {"Latest articles", "Wire copies", "By agency"}


# ----------------------------------------------------------------------------- loading


def _files() -> list[tuple[Path, list[dict[str, Any]]]]:
    return [
        (path, [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()])
        for path in saved_object_files()
    ]


def _objects() -> list[dict[str, Any]]:
    return [obj for _path, objects in _files() for obj in objects]


def _of_type(kind: str) -> list[dict[str, Any]]:
    return [o for o in _objects() if o["type"] == kind]


def _dashboard() -> dict[str, Any]:
    (dashboard,) = [o for o in _of_type("dashboard") if o["attributes"]["title"] == "News overview"]
    return dashboard


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    assert isinstance(panels, list)
    return panels


def _controls(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    controls = json.loads(dashboard["attributes"]["controlGroupInput"]["panelsJSON"])
    assert isinstance(controls, dict)
    return controls


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


# ----------------------------------------------------------------------------- mapping


def _properties() -> dict[str, Any]:
    props: dict[str, Any] = load_template("articles")["template"]["mappings"]["properties"]
    return props


def _field(name: str) -> dict[str, Any] | None:
    """Return the mapping of a dotted field name, through objects and multi-fields."""
    level: dict[str, Any] = _properties()
    found: dict[str, Any] | None = None
    for part in name.split("."):
        if part not in level:
            return None
        found = level[part]
        level = found.get("properties") or found.get("fields") or {}
    return found


def _assert_aggregatable(name: str, where: str, types: set[str] = AGGREGATABLE) -> None:
    mapping = _field(name)
    assert mapping is not None, f"{where}: field {name!r} is not in the index mapping"
    kind = mapping.get("type", "object")
    assert kind in types, f"{where}: field {name!r} is {kind!r}, not one of {sorted(types)}"
    assert mapping.get("doc_values", True), f"{where}: field {name!r} has doc_values disabled"


def _assert_searchable(name: str, where: str) -> None:
    mapping = _field(name)
    assert mapping is not None, f"{where}: field {name!r} is not in the index mapping"
    assert mapping.get("index", True), f"{where}: field {name!r} is not indexed"


def _kql_fields(query: str) -> set[str]:
    """Field names of `field:value` clauses in a KQL query (quoted values dropped first)."""
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
    return set(re.findall(r"([A-Za-z_@][\w.@]*)\s*:", unquoted))


def test_field_resolution_follows_objects_and_multi_fields() -> None:
    assert _field("published_at") == {"type": "date"}
    assert _field("title.raw") is not None and _field("title.raw")["type"] == "keyword"  # type: ignore[index]
    assert _field("title.nope") is None
    assert _kql_fields('agency:* or copy_of:* and not relation:"a: b"') == {
        "agency",
        "copy_of",
        "relation",
    }


# ----------------------------------------------------------------------------- all objects


def test_objects_parse_with_unique_ids_and_resolvable_references() -> None:
    objects = _objects()
    assert objects, "no saved objects bundled"
    ids = [(o["type"], o["id"]) for o in objects]
    assert len(ids) == len(set(ids)), "duplicate (type, id)"
    for obj in objects:
        names = [ref["name"] for ref in obj.get("references", [])]
        assert len(names) == len(set(names)), f"{obj['id']}: duplicate reference names"
        for ref in obj.get("references", []):
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} references missing {ref}"


def test_references_resolve_in_import_order() -> None:
    """Files are imported one request each, in name order: a reference must point into the
    same file or into one imported before it, or Kibana answers `missing_references`."""
    known: set[tuple[str, str]] = set()
    for path, objects in _files():
        known |= {(o["type"], o["id"]) for o in objects}
        for obj in objects:
            for ref in obj.get("references", []):
                assert (ref["type"], ref["id"]) in known, (
                    f"{path.name}: {obj['id']} references {ref['type']}/{ref['id']}, "
                    "which is only imported later"
                )


def test_objects_carry_migration_versions_kibana_9_accepts() -> None:
    for obj in _objects():
        assert obj["type"] in KIBANA_9_0_TYPE_VERSIONS, f"{obj['id']}: type {obj['type']}"
        assert obj.get("coreMigrationVersion") == CORE_MIGRATION_VERSION, obj["id"]
        stated = obj.get("typeMigrationVersion")
        assert stated, f"{obj['id']}: without typeMigrationVersion all migrations run"
        assert _version(stated) <= _version(KIBANA_9_0_TYPE_VERSIONS[obj["type"]]), (
            f"{obj['id']}: typeMigrationVersion {stated} is newer than Kibana 9.0 accepts"
        )
        assert "migrationVersion" not in obj, f"{obj['id']}: use typeMigrationVersion (8.x+)"


# ----------------------------------------------------------------------------- data view


def test_data_view_targets_the_alias_with_a_date_time_field() -> None:
    (view,) = _of_type("index-pattern")
    assert view["attributes"]["title"] == "articles"
    time_field = _field(view["attributes"]["timeFieldName"])
    assert time_field is not None and time_field["type"] == "date"


def test_data_view_formats_and_labels_name_mapped_fields() -> None:
    (view,) = _of_type("index-pattern")
    formats = json.loads(view["attributes"]["fieldFormatMap"])
    for name in formats:
        assert _field(name) is not None, f"field format for unknown field {name!r}"
    for name, fmt in formats.items():
        if fmt["id"] == "number":
            _assert_aggregatable(name, "number format", NUMERIC)
    assert formats["url"]["id"] == "url" and formats["url"]["params"]["type"] == "a"
    assert formats["image"]["id"] == "url" and formats["image"]["params"]["type"] == "img"
    for name in json.loads(view["attributes"].get("fieldAttrs", "{}")):
        assert _field(name) is not None, f"custom label for unknown field {name!r}"


# ----------------------------------------------------------------------------- searches


def test_saved_searches_exist_and_use_mapped_fields() -> None:
    searches = _of_type("search")
    titles = {s["attributes"]["title"] for s in searches}
    assert titles >= REQUIRED_SEARCHES, f"missing searches: {REQUIRED_SEARCHES - titles}"
    for obj in searches:
        attributes = obj["attributes"]
        for column in attributes["columns"]:
            assert _field(column) is not None, f"{obj['id']}: unknown column {column}"
        for field, order in attributes["sort"]:
            assert order in {"asc", "desc"}
            _assert_aggregatable(field, f"{obj['id']} sort")
        source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["query"]["language"] == "kuery"
        for field in _kql_fields(source["query"]["query"]):
            _assert_searchable(field, f"{obj['id']} query")
        (ref,) = [r for r in obj["references"] if r["name"] == source["indexRefName"]]
        assert ref["type"] == "index-pattern"


# ----------------------------------------------------------------------------- dashboard


def _lens_layers(attributes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    datasources = attributes["state"]["datasourceStates"]
    layers: dict[str, dict[str, Any]] = datasources["formBased"]["layers"]
    return layers


def _lens_panels(dashboard: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in _panels(dashboard):
        if panel["type"] == "lens" and "attributes" in panel["embeddableConfig"]:
            yield panel, panel["embeddableConfig"]["attributes"]


def _visualization_refs(vis_type: str, visualization: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (layerId, columnId) pairs a Lens visualization state points at."""
    pairs: list[tuple[str, str]] = []
    if vis_type == "lnsXY":
        for layer in visualization["layers"]:
            accessors = [layer.get("xAccessor"), layer.get("splitAccessor"), *layer["accessors"]]
            pairs += [(layer["layerId"], a) for a in accessors if a]
    elif vis_type == "lnsPie":
        for layer in visualization["layers"]:
            for column in [*layer["primaryGroups"], *layer["metrics"]]:
                pairs.append((layer["layerId"], column))
    elif vis_type == "lnsDatatable":
        pairs += [(visualization["layerId"], c["columnId"]) for c in visualization["columns"]]
    else:  # pragma: no cover - only reached when someone adds a chart type here
        pytest.fail(f"no checks for Lens visualization type {vis_type}")
    return pairs


def test_dashboard_attributes_and_layout() -> None:
    dashboard = _dashboard()
    attributes = dashboard["attributes"]
    assert set(attributes) <= DASHBOARD_ATTRIBUTES, set(attributes) - DASHBOARD_ATTRIBUTES
    json.loads(attributes["optionsJSON"])
    json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
    panels = _panels(dashboard)
    indices = [p["panelIndex"] for p in panels]
    assert len(indices) == len(set(indices)), "duplicate panelIndex"
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= GRID_COLUMNS
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & area, f"panel {panel['embeddableConfig'].get('title')} overlaps another"
        cells |= area


def test_dashboard_references_every_panel_and_control_and_nothing_else() -> None:
    dashboard = _dashboard()
    references = {ref["name"]: ref for ref in dashboard["references"]}
    (view,) = _of_type("index-pattern")
    expected: set[str] = set()
    for panel in _panels(dashboard):
        index = panel["panelIndex"]
        config = panel["embeddableConfig"]
        if "attributes" in config:  # by value: each Lens layer names its data view
            attributes = config["attributes"]
            assert attributes["type"] == panel["type"] == "lens"
            inner = {ref["name"]: ref for ref in attributes["references"]}
            for layer_id in _lens_layers(attributes):
                name = f"indexpattern-datasource-layer-{layer_id}"
                assert inner[name]["type"] == "index-pattern", f"{config['title']}: {name}"
                outer = references.get(f"{index}:{name}")
                assert outer is not None, f"dashboard lacks reference {index}:{name}"
                assert (outer["type"], outer["id"]) == (inner[name]["type"], inner[name]["id"])
                expected.add(f"{index}:{name}")
        else:  # by reference: panelRefName names a dashboard reference
            ref_name = panel["panelRefName"]
            outer = references.get(f"{index}:{ref_name}")
            assert outer is not None, f"dashboard lacks reference {index}:{ref_name}"
            assert outer["type"] == panel["type"]
            expected.add(f"{index}:{ref_name}")
    for control_id in _controls(dashboard):
        name = f"controlGroup_{control_id}:optionsListDataView"
        assert name in references, f"control {control_id} has no data view reference"
        assert (references[name]["type"], references[name]["id"]) == ("index-pattern", view["id"])
        expected.add(name)
    assert set(references) == expected, f"unused references: {set(references) - expected}"


def test_lens_panels_are_consistent_and_use_aggregatable_fields() -> None:
    for panel, attributes in _lens_panels(_dashboard()):
        title = panel["embeddableConfig"]["title"]
        layers = _lens_layers(attributes)
        assert layers, f"{title}: no layers"
        for layer in layers.values():
            columns = layer["columns"]
            assert sorted(layer["columnOrder"]) == sorted(columns), f"{title}: columnOrder"
            for column_id, column in columns.items():
                where = f"{title} / {column['label']}"
                field = column.get("sourceField")
                operation = column["operationType"]
                if operation == "count":
                    assert field == RECORDS, where
                    continue
                assert field, f"{where}: no sourceField"
                if operation == "date_histogram":
                    _assert_aggregatable(field, where, {"date", "date_nanos"})
                elif operation in {"sum", "average", "min", "max", "median"}:
                    _assert_aggregatable(field, where, NUMERIC)
                else:
                    _assert_aggregatable(field, where)
                params = column.get("params", {})
                if operation == "terms" and params["orderBy"]["type"] == "column":
                    assert params["orderBy"]["columnId"] in columns, f"{where}: orderBy"
                    assert params["orderBy"]["columnId"] != column_id, f"{where}: orderBy"
                if "sortField" in params:
                    _assert_aggregatable(params["sortField"], f"{where} sort", {"date"})
        for layer_id, column_id in _visualization_refs(
            attributes["visualizationType"], attributes["state"]["visualization"]
        ):
            assert layer_id in layers, f"{title}: visualization names unknown layer {layer_id}"
            assert column_id in layers[layer_id]["columns"], f"{title}: unknown column {column_id}"


def test_dashboard_shows_the_required_breakdowns() -> None:
    terms: set[str] = set()
    timeline = False
    for _panel, attributes in _lens_panels(_dashboard()):
        for layer in _lens_layers(attributes).values():
            columns = layer["columns"].values()
            fields = {c["sourceField"] for c in columns if c["operationType"] == "terms"}
            terms |= fields
            histogram = {
                c["sourceField"] for c in columns if c["operationType"] == "date_histogram"
            }
            timeline |= histogram == {"published_at"} and "source" in fields
    assert timeline, "no timeline of articles split by source"
    assert terms >= REQUIRED_TERMS_FIELDS, f"missing breakdowns: {REQUIRED_TERMS_FIELDS - terms}"
    embedded = [p for p in _panels(_dashboard()) if p["type"] == "search"]
    assert "Latest articles" in {p["embeddableConfig"].get("title") for p in embedded}


def test_controls_are_options_lists_on_aggregatable_fields() -> None:
    dashboard = _dashboard()
    group = dashboard["attributes"]["controlGroupInput"]
    json.loads(group["ignoreParentSettingsJSON"])
    controls = _controls(dashboard)
    orders = sorted(c["order"] for c in controls.values())
    assert orders == list(range(len(controls))), "control order must be 0..n-1"
    fields = set()
    for control_id, control in controls.items():
        assert control["type"] == "optionsListControl"
        explicit = control["explicitInput"]
        assert explicit["id"] == control_id
        assert "dataViewId" not in explicit, "the data view goes in references"
        _assert_aggregatable(explicit["fieldName"], f"control {explicit['title']}")
        fields.add(explicit["fieldName"])
    assert fields >= REQUIRED_CONTROL_FIELDS, f"missing: {REQUIRED_CONTROL_FIELDS - fields}"
