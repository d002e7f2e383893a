"""Free-text questions as commands: "what was our cac last month?" becomes :class:`Ask`, a question read in
part becomes :class:`Unclear` with its closest readings, and a reply in a thread follows the question
answered there (:mod:`kpi.grammar.questions` reads the words; this module makes commands of them)."""

from __future__ import annotations

from dataclasses import replace

from bot.slack.commands import DEFAULT_PERIOD, Ask, Command, Explain, Help, ListKpis, ParseError, Unclear
from kpi.catalog import Catalog
from kpi.grammar.follow import follow
from kpi.grammar.names import dimension_or_none
from kpi.grammar.phrases import tokens
from kpi.grammar.questions import Reader, Reading
from kpi.periods import YOY, period_suggestions

NEGATIONS = frozenset({"excluding", "except", "without", "not", "but", "hors", "sauf", "excepte", "sans", "pas"})


def free_text(
    text: str, catalog: Catalog, strict: ParseError | None = None, previous: Reading | None = None, lang: str = ""
) -> Command | ParseError:
    """A question in free text ("what was our cac last month?"), read by :mod:`kpi.grammar.questions`; as a
    reply in a thread, ``previous`` is the question it follows. ``strict`` is the strict grammar's
    refusal, kept when the text is one word that names nothing."""
    reader = reader_for(catalog)
    reading = reader.read(text, lang)
    if previous is not None:
        reading = follow(previous, reading) if reading.found or reading.unknown else reading
    match reading.kind:
        case "help":
            return Help()
        case "list":
            return ListKpis(_period(reading) or DEFAULT_PERIOD)
        case "explain" if reading.kpi is not None:
            return Explain(reading.kpi)
        case "ask" if reading.unhonoured and not reading.unknown:
            return _unhonoured(reading)
        case "ask" if not reading.unknown:
            return as_ask(reading)
        case "ask":
            return Unclear(" ".join(reading.unknown), tuple(as_ask(r) for r in closest_readings(reading)))
    said = tokens(text)
    if reading.kind == "none" and said and not (reading.found or reading.unknown or reading.unhonoured):
        return Help()  # "hi", "thanks!", "ça va ?": words, none asking anything: the hint of what can be
    if strict is not None and len(text.split()) <= 1:
        return strict
    words = reading.unknown or tuple(text.split())
    suggested: list[str] = [key for w in reading.unknown for key in reader.kpis_named_with(reader.correct(w.lower()))]
    for size in (1, 2, 3):
        for i in range(len(words) - size + 1):
            for key in catalog.suggest(" ".join(words[i : i + size]), 2):
                if key not in suggested:
                    suggested.append(key)
    known = {d for m in catalog.metrics.values() for d in m.dimensions}
    readings = tuple(  # a breakdown of the catalog is kept: only KPIs that offer it are offered
        as_ask(replace(reading, kind="ask", kpi=key, unknown=(), unhonoured=(), by=by))
        for key in dict.fromkeys(suggested)
        if (by := reading.by and dimension_or_none(catalog, key, reading.by)) or reading.by not in known
    )
    readings = readings[:3] if reading.unknown and not reading.unhonoured else ()
    return Unclear(" ".join(words)[:100], readings, no_kpi=True)


def closest_readings(reading: Reading) -> list[Reading]:
    """The readings offered for a question read in part: only ones that keep every part understood. A word
    that looks like a period ('lastmonth') is offered as that period when the question has none; when a word
    left over holds a digit or the question's comparison was not made, no period is offered in its place (it
    would be another period than the one asked)."""
    clean = replace(reading, unknown=(), unhonoured=())
    if reading.unhonoured or any(any(c.isdigit() for c in w) or w.lower() in NEGATIONS for w in reading.unknown):
        return []  # another period, or the very value the question excludes ("revenue excluding hardware")
    if reading.period is not None:
        return [clean]
    periods = [s for w in reading.unknown for s in period_suggestions(w)][:2]
    return [replace(clean, period=s) for s in periods] + [clean]


def _unhonoured(reading: Reading) -> Unclear:
    """A comparison understood but not one the bot makes ("revenue this month vs march"): refused, with the two
    exact comparisons it makes for the same question (the period just before, the same period a year earlier)."""
    clean = replace(reading, unhonoured=(), yoy=False)
    return Unclear(" ".join(reading.unhonoured), (as_ask(clean), as_ask(replace(clean, yoy=True))), comparison=True)


def as_ask(reading: Reading) -> Ask:
    assert reading.kpi is not None  # a reading that asks names its KPI
    return Ask(
        kpi=reading.kpi,
        period=_period(reading) or DEFAULT_PERIOD,
        by=reading.by,
        chart=reading.chart,
        where=reading.where,
        guessed=reading.guessed,
        why=reading.why,
    )


def reading_of(ask: Ask) -> Reading:
    """The question an answer was to, as a reading a follow-up can change."""
    period, yoy = ask.period, False
    if period.endswith(f" {YOY}"):
        period, yoy = period[: -len(YOY) - 1], True
    return Reading(kind="ask", kpi=ask.kpi, period=period, by=ask.by, where=ask.where, yoy=yoy, guessed=ask.guessed)


def _period(reading: Reading) -> str | None:
    if reading.period is None and not reading.yoy:
        return None
    period = reading.period or DEFAULT_PERIOD
    if period == "-1y":  # "same for last year" asked alone: this month, a year earlier
        period = f"{DEFAULT_PERIOD}-1y"
    return f"{period} {YOY}" if reading.yoy else period


_READERS: dict[int, tuple[Catalog, Reader]] = {}


def reader_for(catalog: Catalog) -> Reader:
    """One reader per catalog (its vocabulary is built once)."""
    kept = _READERS.get(id(catalog))
    if kept is None or kept[0] is not catalog:
        while len(_READERS) >= 8:  # the catalog with the data's values is new every hour: keep the latest
            del _READERS[next(iter(_READERS))]
        kept = _READERS[id(catalog)] = (catalog, Reader(catalog))
    return kept[1]
