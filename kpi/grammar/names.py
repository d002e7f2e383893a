"""The names a question gives things without their keys: the catalog's phrases for a KPI ("cost to win a new
customer", "taux de transfo") and the values of breakdowns, by their value in the data or a label of the catalog
("Training day", "paid search", "logiciel", "referrals"). Read by :mod:`kpi.grammar.questions`. Pure."""

from __future__ import annotations

import difflib
import re

from kpi.catalog import Catalog
from kpi.errors import UnknownDimension
from kpi.grammar.phrases import ARTICLES, CONNECTORS, FILLER, FOR, FOR_WITH_DIMENSION, VALUE_GLUE, tokens
from kpi.model import alias_key

SKIPPABLE = FILLER | CONNECTORS | ARTICLES
# the words a catalog phrase may hold that carry nothing ("how likely *are* customers *to* recommend *us*")
GLUE = (
    CONNECTORS
    | ARTICLES
    | frozenset(
        "a an un une to our we us it its i their leur leurs sa son ses are is were was did do does how what whats"
        " much many nous on tu vous".split()
    )
)
Span = tuple[str, str, int]  # a value named in a question: (dimension, value, index after it)


def stem(word: str) -> str:
    """Plurals read as singulars ("visitors" -> "visitor")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def content(phrase: str) -> tuple[str, ...]:
    """A catalog phrase as the words that carry it: glue words left out, plurals as singulars."""
    return tuple(stem(w) for w in tokens(phrase) if w not in GLUE and not (len(w) == 1 and w.isalpha()))


def phrase_end(words: list[str], i: int, phrase: tuple[str, ...]) -> int | None:
    """Where ``phrase`` (its content words) ends when it starts at ``words[i]``; up to three filler words
    may come between two of its words ("cost *us to* win *a* new customer")."""
    if i >= len(words) or stem(words[i]) != phrase[0]:
        return None
    k = i + 1
    for word in phrase[1:]:
        skipped = 0
        while k < len(words) and words[k] in SKIPPABLE and stem(words[k]) != word and skipped < 3:
            k, skipped = k + 1, skipped + 1
        if k >= len(words) or stem(words[k]) != word:
            return None
        k += 1
    return k


def value_follows(words: list[str], i: int, spans: dict[int, Span]) -> bool:
    """A value comes right after ``words[i]`` ("le canal *referral*", "channel is *email*")."""
    j = i + 1
    while j < len(words) and words[j] in VALUE_GLUE:
        j += 1
    return j in spans


class Values:
    """The values a question may name: label (normalized) -> (dimension, value), from the catalog (its
    ``values:`` labels, and the values found in the data it was given, see :meth:`Catalog.with_values`)."""

    def __init__(self, catalog: Catalog, known: set[str], kpi_names: set[tuple[str, ...]]):
        self.labels = {label: (dim, value) for dim, labels in catalog.values.items() for label, value in labels.items()}
        self.known = known  # the reader's words: a typo is only forgiven in words it does not know otherwise
        self.kpi_names = kpi_names

    def spans(self, raw: list[str]) -> dict[int, Span]:
        """Where the question names a value, start -> span. The longest run (up to four words) wins, in any
        case, with or without accents, in the singular or the plural, and with one typo in an unknown word."""
        found: dict[int, Span] = {}
        i = 0
        while i < len(raw):
            hit = self._at(raw, i)
            if hit is not None:
                found[i] = hit
                i = hit[2]
            else:
                i += 1
        return found

    def _typo(self, run: list[str], text: str) -> tuple[str, str] | None:
        """A value typed with one typo ("trainnig day"): as many words as the value, and only words the reader
        does not know otherwise differ from it."""
        same_size = [label for label in self.labels if label.count("-") == text.count("-")]
        for label in difflib.get_close_matches(text, same_size, n=1, cutoff=0.86):
            if all(w == alias_key(v) or w not in self.known for w, v in zip(run, label.split("-"), strict=False)):
                return self.labels[label]
        return None

    def _at(self, raw: list[str], i: int) -> Span | None:
        for n in range(min(4, len(raw) - i), 0, -1):
            run = raw[i : i + n]
            if any(w in ARTICLES or w in FOR or w.isdigit() for w in run) or tuple(run) in self.kpi_names:
                continue  # a KPI's own name stays the KPI
            text = alias_key("-".join(run))
            found = self.labels.get(text) or self.labels.get(re.sub(r"(?<=[a-z]{3})[sx]$", "", text))
            if found is None and len(text) >= 5 and not all(w in self.known for w in run):
                found = self._typo(run, text)
            if found is not None:
                return found[0], found[1], i + n
        return None


def one_run(raw: list[str], unknown: tuple[str, ...]) -> bool:
    """The unknown words are next to each other in the question (one value, like "paid search")."""
    first = raw.index(unknown[0])
    return tuple(raw[first : first + len(unknown)]) == unknown


def dimension_or_none(catalog: Catalog, kpi: str, name: str) -> str | None:
    try:
        return catalog.dimension(catalog.kpis[kpi], name)
    except UnknownDimension:
        return None


def typo_targets(vocabulary: list[str], names: list[tuple[str, ...]]) -> list[str]:
    """The words a typo may be read as: those that mean something, never one that is dropped ("vendu" is not
    "venu", "search" is not "each"), unless a KPI's name holds it ("chiffre")."""
    drops = SKIPPABLE | FOR | FOR_WITH_DIMENSION | VALUE_GLUE
    named = {w for words in names for w in words}
    return [w for w in vocabulary if w not in drops - named]


def corrected(word: str, targets: list[str], known: set[str]) -> str:
    """A word one typo away from a target is read as it ('revnue' -> 'revenue'); two letters swapped, as
    any known word ('mnoth' -> 'month', 'waht' -> 'what')."""
    if len(word) < 4 or not word.isalpha():
        return word
    for i in range(len(word) - 1):
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped in known:
            return swapped
    close = difflib.get_close_matches(word, targets, n=1, cutoff=0.82)  # not 0.8: "gimme" is not "gamme"
    return close[0] if close else word
