"""Questions the way people ask them, in English and French: "what was our cac last month?", "quel est le
taux de transformation du mois dernier pour le canal referral ?".

Deterministic, from the catalog's own names and phrases: the KPI (its name, an alias, or a phrase of the
catalog: "cost per acquisition", :mod:`kpi.grammar.names`), the period (:mod:`kpi.grammar.dates`,
:mod:`kpi.grammar.phrases`), a breakdown (`by channel`, `par canal`), a filter (`for referral`, `pour le canal
referral`, `channel=referral`, or a value named alone: "paid search", "logiciel", "Training day"), a comparison
(:mod:`kpi.grammar.comparisons`) and a chart are found wherever they are; filler words are ignored; a word one
typo away from a meaningful word is read as that word. A value that exists beats a KPI typo or a period word.
What is left is reported as not understood, never guessed silently: at most one short unknown run is read as
a filter value, which the data then confirms ("did you mean"); a comparison understood but not made is kept
in ``unhonoured`` to be refused; every answer says how the question was read.

Pure: no Slack, no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from kpi.catalog import Catalog
from kpi.grammar import dates
from kpi.grammar.comparisons import comparison_at, period_read, phrase_at, resolve_comparison
from kpi.grammar.names import Span, Values, content, corrected, one_run, phrase_end, stem, typo_targets, value_follows
from kpi.grammar.phrases import (
    ARTICLES,
    AUDIENCE,
    BY,
    CHART,
    CONNECTORS,
    DAYS_IN,
    EXPLAIN,
    EXPLAIN_PHRASES,
    FILLER,
    FOR,
    FOR_WITH_DIMENSION,
    GRAIN,
    HELP,
    LAST_YEAR,
    LIST,
    NEW_PERIOD,
    ORDINAL_QUARTER,
    PERIODS,
    SMALL_TALK,
    TOTAL,
    VALUE_GLUE,
    VS,
    WHY,
    WHY_PHRASES,
    YOY,
    period_at,
    tokens,
)
from kpi.model import alias_key
from kpi.periods import looks_like_period, period_suggestions
from kpi.periods_said import MONTH_NAMES

# -- what a question is made of -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What was found in a question. ``kind``: ask | list | explain | help | none."""

    kind: str = "none"
    kpi: str | None = None
    period: str | None = None
    by: str | None = None
    where: str | None = None  # "channel=referral", or "=referral" (any breakdown)
    yoy: bool = False
    chart: bool = False
    guessed: bool = False  # the filter is an unknown word, read as a value for the data to confirm
    unknown: tuple[str, ...] = ()  # words not understood, as typed
    total: bool = False  # "overall", "au total": no breakdown nor filter (in a follow-up)
    why: bool = False  # "why did revenue drop?": the change split across breakdowns
    listing: bool = False  # "all kpis", "liste": every KPI asked for
    unhonoured: tuple[str, ...] = ()  # a comparison understood but not one the bot makes ("vs march"), as typed
    compared: tuple[str, str, str] | None = None  # the comparison named, as typed, and the question's own period

    @property
    def found_besides_period(self) -> bool:
        return any((self.kpi, self.by, self.where, self.yoy, self.chart, self.total, self.why))

    @property
    def found(self) -> bool:
        """Anything a follow-up could change."""
        return any(
            (self.kpi, self.period, self.by, self.where, self.yoy, self.chart, self.total, self.why, self.compared)
        )


class Reader:
    """Reads questions against one catalog (build once: the vocabulary is the catalog's names)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.kpis: dict[tuple[str, ...], str] = {}
        for alias, key in catalog.aliases.items():
            words = tuple(w for w in re.split(r"[-\s]+", alias) if w)
            self.kpis.setdefault(words, key)
            bare = tuple(w for w in words if w not in CONNECTORS)
            if bare:
                self.kpis.setdefault(bare, key)
        self.kpi_len = max(len(p) for p in self.kpis)
        self._stemmed = {tuple(stem(w) for w in words): key for words, key in reversed(self.kpis.items())}
        self.phrases = [(words, key) for phrase, key in catalog.phrases.items() if (words := content(phrase))]
        self.dimensions: dict[str, str] = {}
        for metric in catalog.metrics.values():
            for name in metric.dimensions:
                for word in (name, *[a for a, d in catalog.dimension_aliases.items() if d == name]):
                    for form in (word, word + "s", word + "x", re.sub(r"al$", "aux", word), re.sub(r"y$", "ies", word)):
                        self.dimensions[alias_key(form).replace("-", "_")] = name
        keywords = {
            w
            for phrase in [
                *self.kpis,
                *(p for p, _ in PERIODS),
                *BY,
                *CHART,
                *YOY,
                *LAST_YEAR,
                *VS,
                *TOTAL,
                *NEW_PERIOD,
            ]
            for w in phrase
        }
        self.vocabulary = sorted(
            keywords
            | FILLER
            | FOR
            | LIST
            | HELP
            | EXPLAIN
            | set(self.dimensions)
            | set(MONTH_NAMES)
            | set(GRAIN)
            | set(DAYS_IN)
            | set(ORDINAL_QUARTER)
            | WHY
            | {"derniers", "dernieres", "dernier", "derniere", "last", "past", "previous"}
            | {w for words, _ in self.phrases for w in words}
            | dates.WORDS
        )
        self._known = set(self.vocabulary)
        self._targets = typo_targets(self.vocabulary, [*self.kpis, *(words for words, _ in self.phrases)])
        self.values = Values(catalog, self._known, set(self.kpis))

    # -- the pieces -------------------------------------------------------------------------------
    def _split(self, word: str) -> list[str]:
        """'montre-moi' -> montre, moi; 'last-month', 'mois-ci', 'n-1', '2026-10' and names stay whole."""
        if (
            "-" not in word
            or "=" in word
            or word in self._known
            or looks_like_period(word)
            or any(c.isdigit() for c in word)
            or (word,) in self.kpis
        ):
            return [word]
        return [part for part in word.split("-") if part]

    def correct(self, word: str) -> str:
        """A word one typo away from a known word is read as that word ('revnue' -> 'revenue')."""
        return word if word in self._known else corrected(word, self._targets, self._known)

    def kpis_named_with(self, word: str) -> list[str]:
        """KPIs one of whose names holds ``word`` ('cost' -> cac), for the closest readings."""
        if len(word) < 3 or word in CONNECTORS or word in FILLER:
            return []
        return list(dict.fromkeys(key for phrase, key in self.kpis.items() if word in phrase))

    def dimension(self, word: str) -> str | None:
        return self.dimensions.get(word.replace("-", "_"))

    def _kpi_at(self, words: list[str], i: int) -> tuple[str, int] | None:
        """A KPI's name or alias at ``words[i]``, or one of the catalog's phrases for it ("cost to win a new
        customer"), whichever is longer."""
        best: tuple[str, int] | None = None
        for n in range(min(self.kpi_len, len(words) - i), 0, -1):
            run = tuple(words[i : i + n])
            key = self.kpis.get(run) or self._stemmed.get(tuple(stem(w) for w in run))
            if key is not None:
                best = (key, i + n)
                break
        for phrase, key in self.phrases:
            end = phrase_end(words, i, phrase)
            if end is not None and (best is None or end > best[1]):
                best = (key, end)
        return best

    _phrase_at = staticmethod(phrase_at)

    def _value_at(
        self, words: list[str], raw: list[str], i: int, spans: dict[int, Span]
    ) -> tuple[str | None, str, int] | None:
        """After a filter word: [articles] [DIMENSION] VALUE [DIMENSION]. None when what follows is a period,
        a KPI or nothing (the filter word was filler)."""
        j = i
        while j < len(words) and words[j] in ARTICLES:
            j += 1
        if j >= len(words):
            return None
        dim = self.dimension(words[j])
        if dim is not None and j + 1 >= len(words):
            return None  # "marge sur les projets": the dimension's name alone is a breakdown, not a value
        if dim is not None:
            j += 1
            while j < len(words) and words[j] in VALUE_GLUE:
                j += 1
        if (
            j >= len(words)
            or j in spans
            or re.fullmatch(r"[0-9/.\-]+", words[j]) is not None  # a number or a date is never a value
            or "=" in words[j]
            or period_at(words, j)
            or self._kpi_at(words, j)
            or words[j] in FOR
            or words[j] in LIST
            or self._phrase_at(words, j, (*CHART, *YOY, *VS, *BY))
        ):
            return None
        if dim is None and (words[j] in FILLER or self.dimension(words[j])):
            return None
        k = j
        while k < len(words) and k - j < 3 and not self._stops(words, k):
            k += 1
        if k == j:
            k = j + 1
        value = " ".join(raw[j:k])
        if dim is None and k < len(words) and self.dimension(words[k]):
            dim, k = self.dimension(words[k]), k + 1
        return dim, value, k

    def _stops(self, words: list[str], k: int) -> bool:
        w = words[k]
        return (
            w in FILLER
            or w in FOR
            or self.dimension(w) is not None
            or period_at(words, k) is not None
            or self._kpi_at(words, k) is not None
            or w in ("by", "par", "per", "vs")
            or "=" in w
            or self._phrase_at(words, k, (*CHART, *YOY)) is not None
        )

    # -- a whole question -------------------------------------------------------------------------
    def read(self, text: str, lang: str = "") -> Reading:
        """``lang``: the language numbers and dates are read in ("03/11" is November 3 in French)."""
        raw = [dates.numeric_date(w, lang) or w for w in tokens(text)]
        raw = [part for w in raw for part in self._split(w)]
        raw = [w for w in raw if not (len(w) == 1 and w.isalpha() and w != "a")]  # l', d', what's: elisions
        words = [self.correct(w) for w in raw]
        found: dict[str, Any] = {"unknown": {}, "spans": self.values.spans(raw)}
        flags: set[str] = set()
        i = 0
        while i < len(words):
            i = self._step(words, raw, i, found, flags)
        unknown = tuple(found.pop("unknown").values())
        found.pop("spans"), found.pop("kpi_end", None)
        compare = found.pop("compare", None)
        reading = Reading(**found, unknown=unknown)
        if compare is not None:
            period, yoy, unhonoured = resolve_comparison(reading.period, reading.yoy, *compare)
            own = (*compare, reading.period or "")
            reading = replace(reading, period=period, yoy=yoy, unhonoured=unhonoured, compared=own)
        if reading.kpi is not None:
            kind = "explain" if flags & {"explain"} and not (reading.period or reading.by or reading.where) else "ask"
        elif (flags & {"list"} or reading.period and not reading.found_besides_period) and not unknown:
            kind = "list"
        elif flags & {"help"}:
            kind = "help"
        else:
            kind = "none"
        reading = replace(reading, kind=kind, listing="list" in flags)
        if (
            kind == "ask"
            and len(unknown) in (1, 2)
            and reading.where is None
            and reading.by is None
            and one_run(raw, unknown)
            and not any(period_suggestions(w) for w in unknown)
            and not any(any(c.isdigit() for c in w) for w in unknown)
        ):
            reading = replace(reading, where="=" + " ".join(unknown), guessed=True, unknown=())
        return reading

    def _step(self, words: list[str], raw: list[str], i: int, found: dict[str, Any], flags: set[str]) -> int:
        word = words[i]
        if i in found["spans"]:  # a value of a breakdown beats a KPI typo or a period word ("Training day")
            dim, value, end = found["spans"][i]
            if "where" in found:
                found["unknown"][i] = " ".join(raw[i:end])
            found.setdefault("where", f"{dim}={value}")
            return int(end)
        if "=" in word.strip("="):
            name, _, value = raw[i].partition("=")
            found.setdefault("where", f"{self.dimension(name) or name}={value}")
            return i + 1
        if (end := comparison_at(words, raw, i, found)) is not None:
            return end
        if (end := self._phrase_at(words, i, (*NEW_PERIOD, *SMALL_TALK))) is not None:
            if (after := self._phrase_at(words, end, LAST_YEAR)) is not None and "period" not in found:
                found["period"] = "-1y"  # "same for last year": the period followed, a year earlier
                return after
            return end
        if (end := self._phrase_at(words, i, WHY_PHRASES)) is not None:
            found["why"] = True
            return end
        if (hit := self._kpi_at(words, i)) is not None and found.setdefault("kpi", hit[0]) == hit[0]:
            found["kpi_end"] = hit[1]
            return hit[1]  # the KPI, or the same one said again ("how busy… (billable share of hours)")
        if (hit := period_at(words, i)) is not None:
            return period_read(words, raw, i, hit, found)
        if (end := self._phrase_at(words, i, TOTAL)) is not None:
            found["total"] = True
            return end
        if (end := self._by_at(words, raw, i, found)) is not None:
            return end
        if (end := self._phrase_at(words, i, CHART)) is not None:
            found["chart"] = True
            return end
        if (word in FOR or word in FOR_WITH_DIMENSION) and "where" not in found:
            value_hit = self._value_at(words, raw, i + 1, found["spans"])
            if value_hit is not None and (word in FOR or value_hit[0] is not None):
                dim, value, end = value_hit
                found["where"] = f"{dim or ''}={value}"
                return end
        if (end := self._phrase_at(words, i, EXPLAIN_PHRASES)) is not None:
            flags.add("explain")
            return end
        self._word(words, raw, i, found, flags)
        return i + 1

    def _by_at(self, words: list[str], raw: list[str], i: int, found: dict[str, Any]) -> int | None:
        """A breakdown: "by channel", "par canal"; "par paid search" is a filter (a value follows); "by lead"
        (not a breakdown here) is kept to be refused with the breakdowns there are."""
        end = self._phrase_at(words, i, BY)
        if end is None:
            return None
        j = end
        while j < len(words) and words[j] in ARTICLES:
            j += 1
        if j in found["spans"]:  # "venus par paid search": a value, so a filter
            return j
        if j < len(words) and self.dimension(words[j]) is not None and "by" not in found:
            found["by"] = self.dimension(words[j])
            return j + 1
        if (
            j < len(words)
            and end - i == 1
            and "by" not in found
            and words[j] not in ("now", "far", "exemple", "ailleurs", "the", "way")
            and not period_at(words, j)
            and not self._kpi_at(words, j)
            and words[j].isalpha()
        ):
            found["by"] = raw[j]  # not a breakdown of this catalog: refused with the known ones
            return j + 1
        return None

    def _word(self, words: list[str], raw: list[str], i: int, found: dict[str, Any], flags: set[str]) -> None:
        """One word that starts no phrase: a command word, a dimension's name, filler, or not understood."""
        word = words[i]
        if word in WHY:
            found["why"] = True
        elif word in LIST:
            flags.add("list")
        elif word in HELP:
            flags.add("help")
        elif word in EXPLAIN:
            flags.add("explain")
        elif (dim := self.dimension(word)) is not None and value_follows(words, i, found["spans"]):
            pass  # "le canal referral", "the product Training day": the value says it
        elif (dim := self.dimension(word)) is not None:
            run = [j for j in range(i - 1, max(i - 4, -1), -1) if j in found["unknown"]]
            run = [j for n, j in enumerate(run) if j == i - 1 - n]
            if run and "where" not in found:  # "the referral channel": the value before its dimension
                found["where"] = f"{dim}=" + " ".join(found["unknown"].pop(j) for j in sorted(run))
            elif "by" not in found and "where" not in found:  # "cac channels", "channel breakdown"
                found["by"] = dim
        elif (
            word not in FILLER
            and word not in FOR
            and word not in FOR_WITH_DIMENSION
            and word not in ARTICLES
            and word not in ("by", "per", "par", "across", "selon")
            and not (word in AUDIENCE and found["spans"])
            and not (raw[i] in ("client", "customer") and found.get("kpi_end") == i)  # "coût de conquête client"
        ):
            found["unknown"][i] = raw[i]
