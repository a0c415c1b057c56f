from collections import Counter

from newsdesk.enrich.stories import (
    TOP_TERMS,
    WINDOW_S,
    StoryDoc,
    shown_story_size,
    story_similarity,
    term_counts,
    term_vector,
)

DAY_S = 86_400.0


def _doc(
    title: str, body: str, published_s: float, names: frozenset[str] = frozenset()
) -> StoryDoc:
    return StoryDoc(term_vector(term_counts(title, body), {}, 0), published_s, names)


def test_term_counts_drop_function_words_and_count_headline_words_twice() -> None:
    counts = term_counts("Ferry cuts", "The ferry said that the night ferry will stop.")
    assert counts == Counter({"ferry": 4, "cuts": 2, "night": 1, "stop": 1})


def test_term_vector_keeps_the_heaviest_terms_at_unit_length() -> None:
    counts = Counter({f"term{i}": i + 1 for i in range(TOP_TERMS + 10)})
    vector = term_vector(counts, {"term49": 1_000_000}, 1_000_000)
    assert len(vector) == TOP_TERMS
    assert "term0" not in vector
    assert abs(sum(w * w for w in vector.values()) - 1) < 1e-3
    # The most frequent term is on every article indexed: it says nothing about the event.
    assert "term49" not in vector
    assert "term48" in vector


def test_same_event_scores_high_and_outside_the_window_scores_zero() -> None:
    title = "Ferry to the Tallow Isles stops night sailings"
    body = "The Calder Line ferry will stop night sailings to the Tallow Isles for lack of crews."
    first = _doc(title, body, 0.0)
    assert story_similarity(first, _doc(title, body, 0.0)) > 0.99
    later = _doc(title, body, 11 * DAY_S)
    assert story_similarity(first, later) == 0.0
    # Within the window the distance in time discounts, to half at the edge.
    edge = story_similarity(first, _doc(title, body, WINDOW_S))
    assert 0.49 < edge < 0.51


def test_shared_names_raise_the_score_only_when_both_sides_have_names() -> None:
    a = _doc("Ferry cuts", "Night ferry sailings end", 0.0, frozenset({"calder line", "brenmoor"}))
    b = _doc("Crew shortage", "Deckhands wanted by the operator", 0.0, frozenset({"calder line"}))
    without = StoryDoc(b.terms, b.published_s)
    assert story_similarity(a, b) > story_similarity(a, without)
    assert story_similarity(a, without) == story_similarity(StoryDoc(a.terms, 0.0), without)


def test_story_size_is_exact_up_to_ten_then_rounded_down_to_a_step() -> None:
    assert [shown_story_size(n) for n in range(11)] == list(range(11))
    shown = {n: shown_story_size(n) for n in (11, 12, 14, 15, 19, 20, 49, 50, 99, 100, 192)}
    assert shown == {11: 10, 12: 12, 14: 12, 15: 15, 19: 15, 20: 20, 49: 40, 50: 50, 99: 80,
                     100: 100, 192: 150}  # fmt: skip
    assert [shown_story_size(n) for n in (250, 499, 500, 999, 1_000, 1_234, 25_000)] == [
        250, 400, 500, 800, 1_000, 1_200, 25_000,
    ]  # fmt: skip
    steps = sorted({shown_story_size(n) for n in range(1, 100_001)})
    # 1-10, then ten steps per tenfold growth (12 to 80 after 10): a growing story's
    # members are rewritten at most ten times per decade.
    assert len(steps) == 10 + 9 + 10 + 10 + 10 + 1
