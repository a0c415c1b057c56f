from dataclasses import dataclass
from datetime import UTC, datetime

from newsdesk.enrich.relations import RELATION_FIELDS, apply_fields, entity_names, patch_source
from newsdesk.models import Article


def _article(**changes: object) -> Article:
    base = Article(
        url="https://paper.example/ferry", title="Ferry", body="Text", feed_ids=("f",),
        feed_names=("F",), source="Paper", fetched_at=datetime(2026, 3, 2, tzinfo=UTC),
    )  # fmt: skip
    return Article(**{**base.__dict__, **changes})


def test_patch_source_sets_values_and_removes_cleared_fields() -> None:
    source = {"title": "Ferry", "copies_count": 3, "relation": "original"}
    fields = dict.fromkeys(RELATION_FIELDS) | {"relation": "copy", "copy_of": "abc"}
    patched = patch_source(source, fields)
    assert patched == {"title": "Ferry", "relation": "copy", "copy_of": "abc"}
    assert source["copies_count"] == 3  # the pending document itself is left alone


def test_apply_fields_sets_relations_and_an_inherited_credit() -> None:
    fields = dict.fromkeys(RELATION_FIELDS) | {
        "relation": "copy", "copy_of": "abc", "story_id": "abc", "story_size": 2,
        "agency": ["AP"], "agency_evidence": ["copy_of: abc (https://wire.example/x)"],
    }  # fmt: skip
    article = apply_fields(_article(), fields)
    assert (article.relation, article.copy_of, article.story_size) == ("copy", "abc", 2)
    assert article.agencies == ("AP",)
    assert article.agency_evidence == ("copy_of: abc (https://wire.example/x)",)
    own = apply_fields(_article(agencies=("Reuters",)), dict.fromkeys(RELATION_FIELDS))
    assert own.agencies == ("Reuters",)


@dataclass
class _Entities:
    people: list[str]
    organizations: list[str]
    places: list[str]


def test_entity_names_read_whatever_form_extraction_gives() -> None:
    assert entity_names(_article()) == []
    flat = _article()
    object.__setattr__(flat, "people", ("Mara Ellison",))
    object.__setattr__(flat, "places", ("Brenmoor",))
    assert entity_names(flat) == ["Mara Ellison", "Brenmoor"]
    mapping = {"people": ["Mara Ellison"], "places": ["Brenmoor"]}
    article = _article()
    object.__setattr__(article, "entities", mapping)
    assert entity_names(article) == ["Mara Ellison", "Brenmoor"]
    object.__setattr__(article, "entities", _Entities(["A"], ["B"], ["C"]))
    assert entity_names(article) == ["A", "B", "C"]
