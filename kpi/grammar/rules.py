"""Alert rules and targets as typed (`/kpi alert …`, `/kpi target …`) and as filled in the rule form."""

from __future__ import annotations

from typing import Any

from kpi.catalog import Catalog, Unit
from kpi.errors import Refusal, UnknownDimension
from kpi.grammar.words import (
    CHANGE_WORDS,
    DEFAULT_MARGIN,
    GRAINS,
    MARGIN_WORDS,
    OP_WORDS,
    SENSITIVITY_WORDS,
    TARGET_WORDS,
    UNUSUAL_GRAINS,
    UNUSUAL_WORDS,
    number_words,
    parse_change,
    parse_duration,
    parse_threshold,
)
from kpi.numbers import MAX_TYPED, count
from kpi.periods import YOY, asks_year_over_year, looks_like_period
from kpi.rules import DEFAULT_REPEAT, DEFAULT_WINDOW, Op, RuleError, RuleKind, RuleSpec, check_window

# -- rules ---------------------------------------------------------------------------------------------


def _condition(head: str, value_text: str, unit: Unit, lang: str, currency: str) -> tuple[RuleKind, Op, float]:
    if head in CHANGE_WORDS:
        up = CHANGE_WORDS[head]
        pct = parse_change(value_text, lang)
        return RuleKind.CHANGE, (Op.GE if up else Op.LE), (pct if up else -pct)
    if head in OP_WORDS:
        return RuleKind.THRESHOLD, OP_WORDS[head], parse_threshold(value_text, unit, lang, currency)
    raise RuleError()


def _checked(spec: RuleSpec) -> RuleSpec:
    """What holds for every rule, however it was written."""
    recovery, upward = spec.recovery, spec.op.upward
    if recovery is not None and ((upward and recovery > spec.threshold) or (not upward and recovery < spec.threshold)):
        raise RuleError("rule_bad_recovery")
    return spec


def rule_from_words(
    kpi: str, words_in: list[str], catalog: Catalog, lang: str = "en", currency: str = "EUR"
) -> RuleSpec:
    """`OP VALUE [WINDOW] [for N] [recover V] [min N] [repeat D]` or `drops|rises N% [WINDOW] …`.

    Numbers are read with ``lang``'s rules and may span several words (`1 500 €`)."""
    unit = catalog.kpis[kpi].unit
    words = list(words_in)
    if words and words[0].lower() in UNUSUAL_WORDS:
        return unusual_from_words(kpi, words[1:], lang)
    if words and words[0].lower() in TARGET_WORDS:
        return target_rule_from_words(kpi, words[1:], lang)
    if len(words) >= 2 and words[0].lower() in ("au", "en") and words[1].lower() in ("dessus", "dessous"):
        words = [f"{words[0]}-{words[1]}".lower()] + words[2:]
    if not words or (words[0].lower() not in CHANGE_WORDS and words[0].lower() not in OP_WORDS):
        raise RuleError()
    value_text, rest = number_words(words[1:], lang)
    if value_text is None:
        raise RuleError()
    kind, op, threshold = _condition(words[0].lower(), value_text, unit, lang, currency)
    yoy, rest = asks_year_over_year(rest)  # "drops 20% month vs last year": against the same period a year earlier
    window = DEFAULT_WINDOW
    options: dict[str, Any] = {}
    first = True
    while rest:
        word = rest[0].lower()
        if (left := _segment_option(rest, options, catalog, kpi)) is not None:
            rest = left
        elif (left := _filter_option(rest, options, catalog, kpi)) is not None:
            rest = left
        elif (left := _common_option(rest, options, lang)) is not None:
            rest = left
        elif word in ("recover", "retour", "recovery") and len(rest) > 1:
            value, rest = number_words(rest[1:], lang)
            if value is None:
                raise RuleError("num_not_number", text=rest[0][:32] if rest else "")
            options["recovery"] = (
                parse_threshold(value, unit, lang, currency)
                if kind is RuleKind.THRESHOLD
                else parse_change(value, lang) * (1 if op.upward else -1)
            )
        elif first and looks_like_period(rest[0]):
            window = check_window(rest[0])
            rest = rest[1:]
        else:
            raise RuleError("rule_not_understood", text=rest[0][:32])
        first = False
    if yoy:
        window = check_window(f"{window} {YOY}")
    return _checked(RuleSpec(kpi=kpi, kind=kind, op=op, threshold=threshold, window=window, **options))


def _segment_option(rest: list[str], options: dict[str, Any], catalog: Catalog, kpi: str) -> list[str] | None:
    """`by channel`, `for each channel` (`par canal`, `pour chaque canal`): each value watched on its own."""
    word = rest[0].lower()
    if word in ("by", "par") and len(rest) > 1:
        name, left = rest[1], rest[2:]
    elif word in ("for", "pour") and len(rest) > 2 and rest[1].lower() in ("each", "chaque"):
        name, left = rest[2], rest[3:]
    else:
        return None
    if "segment_only" in options:  # one value, or each value: not both
        raise RuleError("rule_not_understood", text=rest[0][:32])
    try:
        options["segment_by"] = catalog.dimension(catalog.kpis[kpi], name)
    except UnknownDimension as exc:
        raise RuleError("rule_bad_segment", text=name[:MAX_TYPED], kpi=kpi, known=", ".join(exc.known) or "—") from None
    return left


_FILTER_WORDS = ("for", "pour", "on", "sur")
_ARTICLES = ("the", "le", "la", "les", "l'", "du", "de")


def _filter_option(rest: list[str], options: dict[str, Any], catalog: Catalog, kpi: str) -> list[str] | None:
    """`for referral`, `channel=referral`, `pour le canal referral`: one value of a breakdown watched (its
    dimension, when not named, is found in the data when the rule is created). `for 2` is the count."""
    if "=" in rest[0].strip("="):
        name, _, value = rest[0].partition("=")
        left = rest[1:]
    elif (
        rest[0].lower() in _FILTER_WORDS
        and len(rest) > 1
        and not rest[1][:1].isdigit()
        and rest[1].lower() not in ("each", "chaque")
    ):
        i = 1
        while i < len(rest) - 1 and rest[i].lower() in _ARTICLES:
            i += 1
        name = ""
        if i < len(rest) - 1 and _dimension(catalog, kpi, rest[i]) is not None:
            name, i = rest[i], i + 1
        value, left = rest[i], rest[i + 1 :]
    else:
        return None
    if "segment_only" in options or "segment_by" in options or not value.strip():
        raise RuleError("rule_not_understood", text=rest[0][:32])
    options["segment_by"] = _dimension(catalog, kpi, name) if name else ""
    if name and options["segment_by"] is None:
        raise RuleError(
            "rule_bad_segment", text=name[:MAX_TYPED], kpi=kpi, known=", ".join(catalog.metrics[kpi].dimensions) or "—"
        )
    options["segment_only"] = value[:MAX_TYPED]
    return left


def _dimension(catalog: Catalog, kpi: str, name: str) -> str | None:
    try:
        return catalog.dimension(catalog.kpis[kpi], name)
    except UnknownDimension:
        return None


def segment_of(values: dict[str, str], catalog: Catalog, kpi: str) -> str | None:
    """The rule form's optional "for each" field: a dimension of the KPI, or None when empty."""
    name = (values.get("segment") or "").strip()
    if not name:
        return None
    options: dict[str, Any] = {}
    try:
        _segment_option(["by", name], options, catalog, kpi)
    except RuleError as exc:
        raise FieldRefusal({"segment": exc}) from None
    return str(options["segment_by"])


def _common_option(rest: list[str], options: dict[str, Any], lang: str) -> list[str] | None:
    """`for N`, `min N` or `repeat D` at the head of ``rest``, read into ``options``: the words left, or
    None when ``rest`` does not start with one of them."""
    word = rest[0].lower()
    if len(rest) < 2:
        return None
    if word in ("for", "pendant"):
        options["for_count"] = count(rest[1], lang, low=1, high=100, key="rule_bad_for")
    elif word in ("min", "minimum"):
        options["min_denominator"] = float(count(rest[1], lang, low=0, high=10**9, key="rule_bad_min"))
    elif word in ("repeat", "every", "rappel"):
        options["repeat_seconds"] = int(parse_duration(rest[1]).total_seconds())
    else:
        return None
    return rest[2:]


def unusual_from_words(kpi: str, words: list[str], lang: str = "en") -> RuleSpec:
    """`unusual [day|week] [low|medium|high] [for N] [min N] [repeat D]`: yesterday (or last week) outside
    the range the KPI's own history expects (:mod:`kpi.anomaly`); by day and at medium sensitivity unless
    said."""
    grain, sensitivity, options = "day", "medium", dict[str, Any]()
    rest = list(words)
    while rest:
        word = rest[0].lower()
        if word in UNUSUAL_GRAINS:
            grain, rest = UNUSUAL_GRAINS[word], rest[1:]
        elif word in SENSITIVITY_WORDS:
            sensitivity, rest = SENSITIVITY_WORDS[word], rest[1:]
        elif (left := _common_option(rest, options, lang)) is not None:
            rest = left
        else:
            raise RuleError("rule_unusual_not_understood", text=rest[0][:32])
    return RuleSpec(
        kpi=kpi, kind=RuleKind.UNUSUAL, op=Op.GT, threshold=0.0, window=grain, sensitivity=sensitivity, **options
    )


def target_rule_from_words(kpi: str, words: list[str], lang: str = "en") -> RuleSpec:
    """`target [week|month|quarter|year] [margin 5%] [for N] [repeat D]`: the period's projection misses the
    team's target (`/kpi target`) by more than the margin; by month and 5 % unless said."""
    grain, margin, options = "month", DEFAULT_MARGIN, dict[str, Any]()
    rest = list(words)
    while rest:
        word = rest[0].lower()
        if word in GRAINS:
            grain, rest = GRAINS[word], rest[1:]
        elif word in MARGIN_WORDS and len(rest) > 1:
            margin, rest = parse_change(rest[1], lang), rest[2:]
        elif (left := _common_option(rest, options, lang)) is not None:
            rest = left
        else:
            raise RuleError("rule_target_not_understood", text=rest[0][:32])
    return RuleSpec(kpi=kpi, kind=RuleKind.TARGET, op=Op.LT, threshold=margin, window=grain, **options)


class FieldRefusal(Exception):
    """The form's fields that cannot be taken as filled: each field's name, and why."""

    def __init__(self, errors: dict[str, Refusal]):
        super().__init__(", ".join(errors))
        self.errors = errors


def rule_from_fields(values: dict[str, str], catalog: Catalog, lang: str = "en", currency: str = "EUR") -> RuleSpec:
    """The rule form's fields (kpi, op, threshold, window, for, repeat), read by the same validators as
    the command. Raises :class:`FieldRefusal` naming the field."""
    kpi = values.get("kpi", "")
    if kpi not in catalog.kpis:
        raise FieldRefusal({"kpi": Refusal("err_missing_kpi", command="alert")})
    head = values.get("op", "").lower()
    if head == "unusual":
        return _unusual_from_fields(kpi, values, lang)
    if head == "target":
        return _target_from_fields(kpi, values, lang)
    try:
        text, rest = number_words((values.get("threshold") or "").split(), lang)
        if text is None or rest:
            raise RuleError()
        kind, op, threshold = _condition(head, text, catalog.kpis[kpi].unit, lang, currency)
    except Refusal as exc:
        raise FieldRefusal({"threshold": exc}) from None
    try:
        window = check_window(values.get("window") or DEFAULT_WINDOW)
    except Refusal as exc:
        raise FieldRefusal({"window": exc}) from None
    for_count, repeat = _for_and_repeat(values, lang)
    return _checked(
        RuleSpec(
            kpi=kpi,
            kind=kind,
            op=op,
            threshold=threshold,
            window=window,
            for_count=for_count,
            repeat_seconds=repeat or DEFAULT_REPEAT,
            segment_by=segment_of(values, catalog, kpi),
        )
    )


def _for_and_repeat(values: dict[str, str], lang: str) -> tuple[int, int]:
    """The form's "for" (breaches in a row) and "repeat" (seconds) fields, whatever the rule's kind."""
    try:
        for_count = count(values.get("for") or "1", lang, low=1, high=100, key="rule_bad_for")
    except Refusal as exc:
        raise FieldRefusal({"for": exc}) from None
    try:
        repeat = int(parse_duration(values.get("repeat") or "24h").total_seconds())
    except Refusal as exc:
        raise FieldRefusal({"repeat": exc}) from None
    return for_count, repeat


def _target_from_fields(kpi: str, values: dict[str, str], lang: str) -> RuleSpec:
    """The rule form with "target" picked: the threshold field holds the margin, the window the grain."""
    try:
        margin = parse_change(values.get("threshold") or "5%", lang)
    except Refusal as exc:
        raise FieldRefusal({"threshold": exc}) from None
    grain = (values.get("window") or "month").lower()
    if grain not in GRAINS:
        raise FieldRefusal({"window": RuleError("rule_target_grain", text=grain[:MAX_TYPED])})
    for_count, repeat = _for_and_repeat(values, lang)
    return RuleSpec(
        kpi=kpi,
        kind=RuleKind.TARGET,
        op=Op.LT,
        threshold=margin,
        window=GRAINS[grain],
        for_count=for_count,
        repeat_seconds=repeat or DEFAULT_REPEAT,
    )


def _unusual_from_fields(kpi: str, values: dict[str, str], lang: str) -> RuleSpec:
    """The rule form with "unusual" picked: the threshold field holds the sensitivity, the window the grain."""
    word = (values.get("threshold") or "medium").strip().lower()
    if word not in SENSITIVITY_WORDS:
        raise FieldRefusal({"threshold": RuleError("rule_bad_sensitivity", text=word[:MAX_TYPED])})
    grain = (values.get("window") or "day").lower()
    if grain not in UNUSUAL_GRAINS:
        raise FieldRefusal({"window": RuleError("rule_unusual_grain", text=grain[:MAX_TYPED])})
    for_count, repeat = _for_and_repeat(values, lang)
    return RuleSpec(
        kpi=kpi,
        kind=RuleKind.UNUSUAL,
        op=Op.GT,
        threshold=0.0,
        window=UNUSUAL_GRAINS[grain],
        sensitivity=SENSITIVITY_WORDS[word],
        for_count=for_count,
        repeat_seconds=repeat or DEFAULT_REPEAT,
    )


def target_from_words(
    words: list[str], unit: Unit, lang: str, currency: str, positive: bool = False, name: str = ""
) -> tuple[str, float | None]:
    """`VALUE [GRAIN]` or `off [GRAIN]` after the KPI: the grain (month by default) and the value (None: off).
    A KPI that is never below zero (``positive``: revenue, CAC, a rate) takes only a positive target."""
    grain = GRAINS.get(words[-1].lower()) if len(words) > 1 else None
    body = words[:-1] if grain else words
    grain = grain or "month"
    if len(body) == 1 and body[0].lower() in ("off", "none", "aucun", "supprimer"):
        return grain, None
    text, left = number_words(body, lang)
    if text is None or left:
        raise RuleError()
    value = parse_threshold(text, unit, lang, currency)
    if positive and value <= 0:
        raise RuleError("target_not_positive", kpi=name, value=text[:MAX_TYPED])
    return grain, value
