"""The NER model loads without its string table, and finds exactly the same entities."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from newsdesk.enrich.entities import MODEL_PACKAGE, NON_NER_COMPONENTS, EntityExtractor
from newsdesk.errors import PermanentError
from newsdesk.extract.article import extract_article
from newsdesk.extract.text import decode_html

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
# en_core_web_sm ships about 85,000 strings; a pipeline without them holds its labels only.
MAX_STRINGS_AFTER_LOAD = 5_000

Seen = tuple[list[tuple[int, int, str]], list[tuple[str, bool]]]


def _fixture_texts() -> list[str]:
    pages = [
        *ROOT.glob("tests/fixtures/site/**/*.html"),
        *ROOT.glob("newsdesk/demo/site/**/*.html"),
    ]
    texts = []
    for page in sorted(pages):
        try:
            extracted = extract_article(
                decode_html(page.read_bytes(), None), "https://example.org/a", min_body_chars=50
            )
        except PermanentError:
            continue  # index pages, stubs: nothing to run NER on
        texts.append(f"{extracted.title}\n{extracted.body}")
    return texts


def _what_ner_sees(nlp: spacy.language.Language, texts: list[str]) -> list[Seen]:
    # The spans and labels, plus the token attributes the post-processing reads.
    return [
        (
            [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents],
            [(token.lower_, token.is_lower) for token in doc],
        )
        for doc in nlp.pipe(texts)
    ]


def test_the_model_string_table_is_not_loaded() -> None:
    nlp = EntityExtractor().load()
    assert len(nlp.vocab.strings) < MAX_STRINGS_AFTER_LOAD
    assert "PERSON" in nlp.get_pipe("ner").labels  # type: ignore[attr-defined]


def test_entities_are_the_same_as_with_the_string_table() -> None:
    texts = _fixture_texts()
    assert len(texts) >= 20
    with_strings = spacy.load(MODEL_PACKAGE, exclude=list(NON_NER_COMPONENTS))
    assert len(with_strings.vocab.strings) > MAX_STRINGS_AFTER_LOAD
    expected = _what_ner_sees(with_strings, texts)
    assert _what_ner_sees(EntityExtractor().load(), texts) == expected
    assert sum(len(ents) for ents, _ in expected) > 100  # the fixtures do name things
