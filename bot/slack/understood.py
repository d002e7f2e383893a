"""What a rule or a digest was understood as, said back when it is created (every number formatted), and a
typed filter made the value in the data ('for organic' -> 'channel=organic')."""

from __future__ import annotations

from bot.render import alerts as ra
from bot.render import answers as render
from bot.slack.deps import Deps
from kpi import grammar
from kpi.catalog import Unit
from kpi.errors import Refusal
from kpi.grammar import DigestSpec
from kpi.present import breakdown_key, dimension_name, format_value
from kpi.rules import RuleKind
from kpi.texts import t


def rule(deps: Deps, spec) -> dict:
    """The rule as the bot understood it, every number formatted: `condition`, `window`, `understood`."""
    lang, catalog = deps.lang, deps.service.catalog
    kpi = catalog.kpis[spec.kpi]
    line = ra.line_text(spec, kpi.unit, lang, deps.currency)
    change = spec.kind is RuleKind.CHANGE
    unit = Unit.PERCENT if change else kpi.unit
    if spec.kind is RuleKind.UNUSUAL:
        parts = [t(lang, f"rule_understood_unusual_{spec.window}")]
    elif spec.kind is RuleKind.TARGET:
        parts = [t(lang, "rule_understood_target", pct=format_value(spec.threshold, Unit.PERCENT, lang))]
    else:
        parts = [
            t(
                lang,
                "rule_understood_change" if change else "rule_understood_threshold",
                value=format_value(abs(spec.threshold) if change else spec.threshold, unit, lang, deps.currency),
            )
        ]
    if spec.recovery is not None:
        parts.append(
            t(
                lang,
                "rule_understood_recovery",
                value=format_value(abs(spec.recovery) if change else spec.recovery, unit, lang, deps.currency),
            )
        )
    if spec.segment_only is not None:
        parts.append(
            t(
                lang,
                "rule_understood_filter",
                dimension=dimension_name(spec.segment_by, lang),
                value=render.escape(breakdown_key(spec.segment_only or None, lang, spec.segment_by)),
            )
        )
    elif spec.segment_by:
        parts.append(t(lang, "rule_understood_segment", dimension=dimension_name(spec.segment_by, lang)))
    if spec.min_denominator is not None and catalog.metrics[spec.kpi].denominator:
        measure = catalog.measures[catalog.metrics[spec.kpi].denominator[0]].label
        parts.append(
            t(
                lang,
                "rule_understood_min",
                value=format_value(spec.min_denominator, Unit.NUMBER, lang),
                measure=measure(lang),
            )
        )
    condition = "rule_condition_threshold" if spec.kind is RuleKind.THRESHOLD else "rule_condition_change"
    return {
        "condition": t(lang, condition, kpi=render.escape(kpi.name(lang)), line=line),
        "window": spec.window,
        "understood": " ".join(parts),
    }


def digest_filter(deps: Deps, kpis: tuple[str, ...], where: str | None) -> str | None:
    """'=organic' as typed -> 'channel=organic' as in the data (refused, with the closest values, when no KPI
    of the digest has it this month)."""
    if where is None:
        return None
    name = where.partition("=")[0]
    catalog = deps.service.catalog
    keys = [
        k
        for k in (kpis or catalog.keys())
        if (name in catalog.metrics[k].dimensions if name else catalog.metrics[k].dimensions)
    ]
    if not keys:
        raise Refusal("err_filter_no_dimension", kpi=", ".join(kpis) or "—")
    found = deps.service.ask(keys[0], "90d", deps.clock(), where=where)
    assert found.where is not None  # asked with a filter
    by, key = found.where
    return f"{by}={key if key is not None else ''}"


def digest(deps: Deps, digest: DigestSpec) -> str:
    lang = deps.lang
    cadence = t(lang, f"cadence_{digest.cadence}")
    if digest.weekly and digest.weekday is not None:
        when = t(lang, "digest_when_weekly", day=grammar.WEEKDAYS[digest.weekday], time=digest.at_time)
    else:
        when = t(lang, "digest_when_daily", time=digest.at_time)
    kpis = t(lang, "digest_kpis", kpis=", ".join(digest.kpis)) if digest.kpis else ""
    text = t(lang, "digest_subscribed", cadence=cadence, when=when, tz=digest.timezone, kpis=kpis)
    if digest.where:
        by, _, value = digest.where.partition("=")
        text += t(lang, "digest_filter", where=f"{dimension_name(by, lang)} = {render.escape(value)}")
    return text
