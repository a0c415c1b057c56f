from datetime import UTC, datetime

from newsdesk.extract.metadata import parse_datetime, read_page_metadata

PAGE = """<!doctype html>
<html lang="en-GB"><head>
<title>Ferry timetable changes | The Lakeside Post</title>
<link rel="canonical" href="/news/ferry-timetable?utm_source=x">
<meta property="og:site_name" content="The Lakeside Post">
<meta property="article:published_time" content="2026-02-03T09:30:00+01:00">
<meta name="author" content="Meta Author">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Lakeside"},
  {"@type": "NewsArticle", "datePublished": "2026-02-03T08:00:00Z",
   "dateModified": "2026-02-04T10:00:00Z",
   "author": [{"@type": "Person", "name": "Ilse Marsh"}, {"@type": "Person", "name": "Tom Reed"}],
   "publisher": {"@type": "Organization", "name": "Lakeside Media"}}
]}
</script>
<script type="application/ld+json">{not json</script>
</head><body>
<article><header><time datetime="2026-02-03">3 Feb</time></header>
<figure><figcaption><time datetime="2019-06-16">June 16, 2019</time>
archive photo</figcaption></figure>
<p>Text.</p></article></body></html>"""


def test_reads_structured_dates_in_source_order() -> None:
    meta = read_page_metadata(PAGE, "https://lakeside.example/news/ferry-timetable")
    assert meta.published[0] == ("jsonld", datetime(2026, 2, 3, 8, 0, tzinfo=UTC))
    assert ("meta", datetime(2026, 2, 3, 8, 30, tzinfo=UTC)) in meta.published
    # The caption's <time> is outside the article header and must not be a candidate.
    assert all(d.year == 2026 for _, d in meta.published)
    assert meta.modified[0] == ("jsonld", datetime(2026, 2, 4, 10, 0, tzinfo=UTC))


def test_reads_canonical_site_language_and_authors() -> None:
    meta = read_page_metadata(PAGE, "https://lakeside.example/news/ferry-timetable")
    assert meta.canonical_url == "https://lakeside.example/news/ferry-timetable"
    assert meta.site_name == "The Lakeside Post"
    assert meta.language == "en"
    assert meta.authors == ("Ilse Marsh", "Tom Reed")


def test_canonical_on_another_site_is_ignored() -> None:
    page = '<html><head><link rel="canonical" href="https://other.example/story"></head></html>'
    assert read_page_metadata(page, "https://lakeside.example/a").canonical_url is None


def test_garbage_input_gives_empty_metadata() -> None:
    assert read_page_metadata(b"", "https://lakeside.example/a").published == ()


def test_parse_datetime_handles_zulu_naive_and_junk() -> None:
    assert parse_datetime("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_datetime("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_datetime("yesterday") is None
    assert parse_datetime(42) is None
