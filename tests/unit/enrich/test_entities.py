"""Named entities: real spaCy NER on hand-written, fictional news text, then normalisation."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from newsdesk.enrich.entities import NON_NER_COMPONENTS, Entities, EntityExtractor
from newsdesk.enrich.names import country_code

pytestmark = pytest.mark.unit

TALKS = """Foreign Minister Anatoly Voronin arrived in Vienna on Tuesday for talks on grain exports.
Voronin's delegation included trade officials from Moscow. "We came to listen," Mr. Voronin said.
Later, Anatoli Voronin met Helen Marsh, the trade commissioner of the European Union. Marsh said
the talks were useful. Anatoly Voronin will return to Vienna in March, officials said.
Dr. Peter Okafor of the United Nations also attended."""

SUMMIT = """Officials from the U.S. and Britain met their French counterparts in Paris on Monday.
The UK delegation said Germany and the Netherlands would join later. American diplomats
stayed in Brussels."""

FERRY = """Council backs new ferry timetable

The council voted on Thursday to change the ferry timetable. Councillor Tom Reddy said the
ferry company agreed.
BREAKING NEWS LIVE UPDATES FROM THE HARBOUR COUNCIL MEETING TONIGHT
Reddy's proposal passed by six votes to two, and the harbour master, Jane Whitcombe, welcomed it."""

FRENCH = "Le maire Jean Dupont a présenté mardi à Lyon le nouveau plan de circulation."


@pytest.fixture(scope="module")
def extractor() -> Iterator[EntityExtractor]:
    # Loading the model takes about a second: once for the whole module.
    extractor = EntityExtractor()
    extractor.load()
    yield extractor


def one(extractor: EntityExtractor, text: str, language: str | None = "en") -> Entities:
    [entities] = extractor.extract([(text, language)])
    return entities


def test_only_ner_is_loaded(extractor: EntityExtractor) -> None:
    nlp = extractor.load()
    assert nlp.pipe_names == ["ner"]
    assert not set(NON_NER_COMPONENTS) & set(nlp.component_names)
    assert extractor.load() is nlp  # loaded once


def test_spelling_variants_titles_and_possessives_make_one_person(
    extractor: EntityExtractor,
) -> None:
    people = one(extractor, TALKS).people
    # "Anatoly"/"Anatoli", "Voronin's", "Mr. Voronin" and "Foreign Minister ..." are one
    # person, shown in the most frequent full form and ranked first by mentions.
    assert people[0] == "Anatoly Voronin"
    assert not [p for p in people if "Voronin" in p and p != "Anatoly Voronin"]
    assert "Peter Okafor" in people  # "Dr." stripped


def test_partial_mention_joins_the_full_name_whatever_its_label(
    extractor: EntityExtractor,
) -> None:
    entities = one(extractor, TALKS)
    # The model tags the lone "Marsh" and one "Voronin" as organizations.
    assert "Helen Marsh" in entities.people
    assert "Marsh" not in entities.people + entities.organizations
    assert "Voronin" not in entities.people + entities.organizations


def test_organizations_and_places_lose_the_leading_article(extractor: EntityExtractor) -> None:
    entities = one(extractor, TALKS)
    assert entities.organizations == ("European Union", "United Nations")
    assert entities.places == ("Vienna", "Moscow")  # two mentions of Vienna, one of Moscow


def test_junk_is_dropped(extractor: EntityExtractor) -> None:
    entities = one(extractor, FERRY)
    # "Council" opens the headline but the text writes "council"; the all-caps line is
    # not a name however the model tags it.
    assert entities.organizations == ()
    assert entities.people == ("Tom Reddy", "Jane Whitcombe")


def test_countries_are_mapped_and_leave_the_places(extractor: EntityExtractor) -> None:
    entities = one(extractor, SUMMIT)
    # Britain + UK make GB the most mentioned; "French" and "American" are demonyms.
    assert entities.countries[0] == "GB"
    assert set(entities.countries) == {"GB", "US", "FR", "DE", "NL"}
    assert entities.places == ("Paris", "Brussels")  # cities stay places, never countries


@pytest.mark.parametrize("language", ["fr", "fr-CA", "FR_fr"])
def test_non_english_text_is_skipped(extractor: EntityExtractor, language: str) -> None:
    assert one(extractor, FRENCH, language) == Entities(skipped_reason="language:fr")


def test_unknown_language_counts_as_english(extractor: EntityExtractor) -> None:
    assert "Tom Reddy" in one(extractor, FERRY, None).people
    assert "Tom Reddy" in one(extractor, FERRY, "en-GB").people


def test_batch_keeps_order_and_skips_per_text(extractor: EntityExtractor) -> None:
    results = extractor.extract(
        [(SUMMIT, "en"), (FRENCH, "fr"), (TALKS, "en"), ("  \n", "en"), (FERRY, None)]
    )
    assert len(results) == 5
    assert results[0] == one(extractor, SUMMIT)
    assert results[1].skipped_reason == "language:fr"
    assert results[2] == one(extractor, TALKS)
    assert results[3] == Entities(skipped_reason="empty")
    assert results[4] == one(extractor, FERRY)
    assert extractor.extract([]) == []


@pytest.mark.parametrize("extra_chars", [0, 4])  # the cut on a space, or inside a word
def test_text_past_the_cap_is_not_read(extra_chars: int) -> None:
    head = "Helen Marsh met Tom Reddy in Vienna."
    capped = EntityExtractor(max_doc_chars=len(head) + extra_chars)
    entities = one(capped, head + " Later Peter Okafor flew to Brussels." * 20)
    assert entities.people == ("Helen Marsh", "Tom Reddy")
    assert entities.places == ("Vienna",)


def test_lists_are_capped_and_ranked_by_mentions() -> None:
    names = ["Ruth Abbott", "Colin Barlow", "Maya Carver", "Owen Dunmore", "Tessa Ellery"]
    text = " ".join(f"Councillor {name} voted against the plan." for name in names)
    text += " Councillor Owen Dunmore said he would appeal."
    entities = one(EntityExtractor(max_per_list=3), text)
    assert entities.people == ("Owen Dunmore", "Ruth Abbott", "Colin Barlow")


def test_threads_share_one_lazily_loaded_model() -> None:
    shared = EntityExtractor()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda text: one(shared, text), [TALKS, SUMMIT] * 4))
    assert results == [one(shared, TALKS), one(shared, SUMMIT)] * 4


def test_a_missing_model_fails_loudly() -> None:
    with pytest.raises(OSError, match="no_such_model"):
        EntityExtractor("no_such_model").load()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("U.S.", "US"),
        ("USA", "US"),
        ("the Netherlands", "NL"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Côte d\u2019Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Scotland", "GB"),
        ("South Korea", "KR"),
        ("Georgia", None),  # the US state as often as the country
        ("Paris", None),  # cities are never mapped
        ("Americans", None),  # plurals only as demonyms
    ],
)
def test_country_code(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_plural_demonyms() -> None:
    assert country_code("Americans", demonym=True) == "US"
    assert country_code("Britons", demonym=True) == "GB"
