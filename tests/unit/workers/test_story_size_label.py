"""How the CLI shows a story's size: exact while the index keeps it exact, then a bound."""

from __future__ import annotations

from newsdesk.enrich.stories import EXACT_STORY_SIZE
from workers.cli.search import story_size_label


def test_sizes_up_to_the_exact_limit_are_shown_as_they_are() -> None:
    assert story_size_label(None) == "1"
    assert story_size_label(EXACT_STORY_SIZE) == str(EXACT_STORY_SIZE)


def test_stepped_sizes_are_shown_as_lower_bounds() -> None:
    assert story_size_label(12) == "12+"
    assert story_size_label(150) == "150+"
