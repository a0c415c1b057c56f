"""The bundled Kibana saved objects are well-formed and only use fields the mapping has."""

import json

from newsdesk.search.setup import load_template
from workers.kibana import saved_object_files

AGGREGATABLE = {"keyword", "date", "integer", "long", "boolean"}


def _objects() -> list[dict]:
    objects = []
    for path in saved_object_files():
        objects += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return objects


def test_objects_parse_with_unique_ids_and_resolvable_references() -> None:
    objects = _objects()
    assert objects, "no saved objects bundled"
    ids = [(o["type"], o["id"]) for o in objects]
    assert len(ids) == len(set(ids))
    for obj in objects:
        for ref in obj.get("references", []):
            assert (ref["type"], ref["id"]) in ids, f"{obj['id']} references missing {ref}"


def test_data_view_targets_the_alias_with_a_date_time_field() -> None:
    props = load_template("articles")["template"]["mappings"]["properties"]
    (view,) = [o for o in _objects() if o["type"] == "index-pattern"]
    assert view["attributes"]["title"] == "articles"
    assert props[view["attributes"]["timeFieldName"]]["type"] == "date"


def test_saved_search_columns_exist_in_the_mapping() -> None:
    props = load_template("articles")["template"]["mappings"]["properties"]
    for obj in _objects():
        if obj["type"] == "search":
            for column in obj["attributes"]["columns"]:
                assert column in props, f"{obj['id']}: unknown field {column}"
            for field, _order in obj["attributes"]["sort"]:
                assert props[field]["type"] in AGGREGATABLE
