from newsdesk.enrich.spinning import (
    MIN_CONFIDENCE,
    extract_anchors,
    sequence_similarity,
    spun_confidence,
)

WIRE = (
    "BRENMOOR (AP) \u2014 The ferry between Brenmoor and the Tallow Isles will stop running at "
    "night from May 4, the Calder Line said on Thursday. Officials said 12 deckhands were "
    "needed and only 3 were hired. \u201cWe cannot sail without crews,\u201d said Mara Ellison, "
    "the line's director. Islanders said about 1,450 people used the late boats."
)
SPUN = (
    "BRENMOOR \u2014 The boat linking Brenmoor and the Tallow Isles will cease operating at "
    "night from May 4, the Calder Line stated on Thursday. Authorities stated 12 sailors were "
    "required and just 3 were recruited. \u201cWe cannot sail without crews,\u201d stated Mara "
    "Ellison, the company's head. Residents stated roughly 1,450 people took the late boats."
)
OTHER_REPORT = (
    "Mara Ellison has run the Calder Line for a decade. On Thursday she said the night ferry "
    "to the Tallow Isles would end, blaming a crew shortage. \u201cIt is a sad day,\u201d "
    "said an islander in Brenmoor, where 300 people signed a petition."
)


def test_anchors_are_names_numbers_and_quotes_in_order() -> None:
    anchors = extract_anchors(WIRE)
    assert anchors[:6] == [
        "n:brenmoor", "n:ap", "n:brenmoor", "n:tallow isles", "n:may", "#:4",
    ]  # fmt: skip
    assert "#:1450" in anchors
    assert "q:we cannot sail without crews" in anchors
    assert "n:mara ellison" in anchors
    # A capitalised word that only opens sentences is not a name.
    assert not any(a in anchors for a in ("n:officials", "n:islanders", "n:the"))


def test_a_spun_copy_keeps_its_anchor_sequence() -> None:
    confidence = spun_confidence(extract_anchors(SPUN), extract_anchors(WIRE))
    assert confidence >= MIN_CONFIDENCE


def test_another_report_of_the_event_shares_names_but_not_their_order() -> None:
    confidence = spun_confidence(extract_anchors(OTHER_REPORT), extract_anchors(WIRE))
    assert confidence < MIN_CONFIDENCE


def test_few_anchors_lower_the_confidence() -> None:
    short = ["n:brenmoor", "#:4"]
    assert sequence_similarity(short, short) == 1.0
    assert spun_confidence(short, short) < MIN_CONFIDENCE
    assert spun_confidence([], short) == 0.0
