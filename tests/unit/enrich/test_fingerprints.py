from newsdesk.enrich.fingerprints import (
    COPY_CONTAINMENT,
    VERSION_SHARE,
    fingerprint,
    paragraph_hashes,
    relation_to,
    shared_share,
    shingle_hashes,
)
from newsdesk.enrich.syndication import DocMeta, original_rank

PARAGRAPHS = [
    "BRENMOOR (AP) \u2014 The ferry between Brenmoor and the Tallow Isles will stop running at "
    "night from next month, the operator said on Thursday, citing a shortage of deck crew.",
    "The last sailing will leave Brenmoor at half past eight instead of eleven, which "
    "islanders say will make it impossible to see a film or a match on the mainland.",
    "The operator said it had advertised for twelve deckhands since the spring and hired "
    "only three, and that the night sailings would return once the crews were found.",
    "Islanders have started a petition asking the regional council to pay for a water "
    "taxi on Friday and Saturday nights until the ferry timetable is restored.",
    "A council spokeswoman said the request would be discussed at the next transport "
    "committee meeting, but warned that the budget for this year was already spent.",
]
UPDATE = [
    "On Friday the council agreed to pay for a water taxi on Saturday nights for three "
    "months, a compromise the petition's organisers called better than nothing at all.",
    "The operator said two more deckhands had signed contracts since the announcement "
    "and that it hoped to restore one late sailing before the summer holidays begin.",
]
UNRELATED = (
    "The town's oldest bakery will close at the end of the year after four generations, "
    "its owner said, because none of her children want to get up at three every morning."
)


def test_shingles_are_the_same_in_every_process_and_ignore_case_and_punctuation() -> None:
    a = shingle_hashes("The ferry will stop running at night, the operator said.")
    b = shingle_hashes("the FERRY will stop running at night -- the operator said")
    assert a.tolist() == b.tolist()
    assert a.tolist() == sorted(set(a.tolist()))
    assert shingle_hashes("three words only").size == 1
    assert shingle_hashes("").size == 0


def test_paragraph_hashes_ignore_the_dateline_credit_and_short_lines() -> None:
    credited = paragraph_hashes(PARAGRAPHS[0] + "\nRead more\nBy Jane Roe")
    uncredited = paragraph_hashes(PARAGRAPHS[0].replace(" (AP)", ""))
    assert credited == uncredited
    assert len(credited) == 1


def test_a_trimmed_copy_is_a_copy_and_an_update_is_a_version() -> None:
    original = fingerprint("\n".join(PARAGRAPHS))
    trimmed = fingerprint("\n".join(PARAGRAPHS[:3]))
    updated = fingerprint("\n".join(PARAGRAPHS[:3] + UPDATE))
    assert relation_to(trimmed, original) == ("copy", 3)
    assert relation_to(updated, original) == ("version", 3)
    assert shared_share(trimmed, original) >= COPY_CONTAINMENT
    assert VERSION_SHARE <= shared_share(updated, original) < COPY_CONTAINMENT


def test_one_shared_sign_off_paragraph_does_not_make_a_version() -> None:
    sign_off = "Sign up for the Brenmoor Bulletin to get our morning news in your inbox daily."
    first = fingerprint(f"{PARAGRAPHS[0]}\n{sign_off}")
    second = fingerprint(f"{UNRELATED}\n{sign_off}")
    assert shared_share(first, second) == 0.0


def test_unrelated_texts_share_nothing_and_identical_ones_share_every_band() -> None:
    story = fingerprint("\n".join(PARAGRAPHS))
    assert shared_share(story, fingerprint(UNRELATED)) < 0.05
    assert fingerprint("\n".join(PARAGRAPHS)).band_hashes() == story.band_hashes()
    assert len(set(story.band_hashes()) & set(fingerprint(UNRELATED).band_hashes())) == 0
    assert fingerprint("").band_hashes() == []


def test_the_original_is_the_agency_site_then_the_credited_then_the_earliest() -> None:
    early_uncredited = original_rank("a", DocMeta("u", 100.0))
    late_credited = original_rank("b", DocMeta("u", 200.0, ("AP",)))
    latest_on_agency_site = original_rank("c", DocMeta("u", 300.0, ("AP",), own_site=True))
    assert sorted([early_uncredited, late_credited, latest_on_agency_site])[0][3] == "c"
    assert min(early_uncredited, late_credited)[3] == "b"
    tie = min(original_rank("z", DocMeta("u", 1.0)), original_rank("y", DocMeta("u", 1.0)))
    assert tie[3] == "y"
