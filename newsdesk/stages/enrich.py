"""Enrich stage helpers: entity and keyword facets computed from an article's text."""

from __future__ import annotations

import dataclasses

from newsdesk.enrich.entities import EntityExtractor
from newsdesk.enrich.keywords import extract_keywords
from newsdesk.models import Article


def add_text_facets(article: Article, extractor: EntityExtractor) -> Article:
    """Return the article with people, organisations, places, countries and keywords set."""
    # The headline names the main actors; give NER and keyphrases the same text a reader sees.
    text = f"{article.title}\n{article.body}" if article.title else article.body
    (entities,) = extractor.extract([(text, article.language)])
    keywords = extract_keywords(text, language=article.language)
    tags_lower = {t.casefold() for t in article.tags}
    return dataclasses.replace(
        article,
        people=entities.people,
        organizations=entities.organizations,
        places=entities.places,
        countries=entities.countries,
        keywords=tuple(k for k in keywords if k.casefold() not in tags_lower),
        entities_skipped=entities.skipped_reason,
    )
