"""Keywords: real YAKE on hand-written text, then Newsdesk's facet clean-up."""

from __future__ import annotations

import pytest

from newsdesk.enrich.keywords import MAX_TEXT_CHARS, extract_keywords

pytestmark = pytest.mark.unit

FERRY = """Ferry fares rise as fuel costs climb
Ferry passengers will pay more from Monday after the operator raised fares to cover rising
fuel costs. Helen Marsh, who runs the ferry company, said fuel costs had doubled since 2024
and the ferry fares had not kept pace.
Commuters said the higher ferry fares would push them back to the coast road. Helen Marsh said
season tickets would be frozen until April.
The harbour board will review ferry fares again in the spring, and Marsh said a cheaper
off-peak ticket was planned. 12,500 passengers use the ferry every week."""

FAEHRE = """Fährpreise steigen wegen höherer Treibstoffkosten
Die Fährgesellschaft erhöht die Fahrpreise ab Montag, weil die Treibstoffkosten gestiegen sind.
Pendler kritisieren die höheren Fährpreise. Die Hafenbehörde will die Fährpreise im Frühjahr
erneut prüfen. Ein günstigeres Ticket für die Nebenzeiten ist geplant."""


def test_keywords_are_clean_facet_values() -> None:
    keywords = extract_keywords(FERRY, language="en", max_keywords=10)
    assert 5 <= len(keywords) <= 10
    assert "ferry fares" in keywords
    assert len(set(keywords)) == len(keywords)
    for keyword in keywords:
        words = keyword.split()
        assert keyword == keyword.lower()
        assert 1 <= len(words) <= 3
        assert all(any(c.isalpha() for c in word) for word in words)  # no "2024", "12,500"
        assert not {"monday", "april", "spring", "week"} & set(words)
    # No keyword is a whole-word part of another ("ferry" beside "ferry fares").
    for a in keywords:
        for b in keywords:
            assert a == b or f" {a} " not in f" {b} "


def test_english_names_are_left_to_the_entity_facets() -> None:
    keywords = extract_keywords(FERRY, language="en", max_keywords=10)
    assert not [k for k in keywords if "marsh" in k or "helen" in k]


def test_a_headline_does_not_run_into_the_first_sentence() -> None:
    keywords = extract_keywords(FERRY, language="en", max_keywords=20)
    assert not [k for k in keywords if "climb ferry" in k]


def test_german_text_uses_german_stopwords_and_keeps_nouns() -> None:
    keywords = extract_keywords(FAEHRE, language="de")
    assert keywords
    assert any("treibstoffkosten" in k for k in keywords)
    assert not {"die", "der", "und", "ist"} & {w for k in keywords for w in k.split()}


def test_first_keywords_do_not_depend_on_the_count_asked() -> None:
    five = extract_keywords(FERRY, language="en")
    assert len(five) == 5
    assert extract_keywords(FERRY, language="en", max_keywords=10)[:5] == five


@pytest.mark.parametrize("language", [None, "en-GB", "EN"])
def test_language_variants_and_none_mean_english(language: str | None) -> None:
    assert extract_keywords(FERRY, language=language) == extract_keywords(FERRY, language="en")


@pytest.mark.parametrize("language", ["xx", "fil", "../en"])
def test_languages_without_a_stopword_list_get_none(language: str) -> None:
    assert extract_keywords(FERRY, language=language) == ()


@pytest.mark.parametrize("language", ["zh", "ja-JP"])
def test_languages_written_without_spaces_get_none(language: str) -> None:
    # YAKE splits words on spaces: a whole Chinese sentence would come out as one "word".
    assert (
        extract_keywords(
            "渡轮票价因燃油成本上涨而上调。港务局将在春季再次审查票价。", language=language
        )
        == ()
    )


def test_nothing_to_extract() -> None:
    assert extract_keywords("", language="en") == ()
    assert extract_keywords(" \n ", language="en") == ()
    assert extract_keywords(FERRY, language="en", max_keywords=0) == ()


def test_long_text_is_cut_at_a_word_boundary() -> None:
    filler = "The ferry fares rose again. " * (MAX_TEXT_CHARS // 28 + 1)
    keywords = extract_keywords(filler + "Zanzibar lighthouse refit.", language="en")
    assert keywords
    assert not [k for k in keywords if "lighthouse" in k]
