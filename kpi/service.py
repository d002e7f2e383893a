"""The KPI engine's front door: what the CLI and the Slack app ask.

Built once from the configuration; holds the validated catalog and the source
engine. Every method takes ``now`` (aware) instead of reading the clock.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from kpi.catalog import Catalog, Kpi, alias_key, load_catalog
from kpi.compute import KpiResult, compute, compute_many, segment_of
from kpi.config import Settings
from kpi.coverage import qualify
from kpi.errors import Refusal
from kpi.periods import parse_period
from kpi.spans import PeriodPair
from kpi.store.dialects import check_supported
from kpi.store.engines import Limits, get_engine, set_limits
from kpi.store.rollup import RefreshReport, Rollups
from kpi.store.specs import FilterSpec
from kpi.why import Why, decompose


@dataclass(frozen=True)
class KpiService:
    catalog: Catalog
    source: Engine
    tz: ZoneInfo
    language: str
    currency: str
    rollups: Rollups | None = None
    # what kpi.coverage probed (each table's first row and freshness) at one instant, asked again at the next
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> KpiService:
        set_limits(Limits(settings.kpi_connect_timeout, settings.kpi_query_timeout))
        check_supported(settings.source_url)  # at start, naming the engines the bot reads
        return cls(
            catalog=load_catalog(settings.kpi_definitions),
            source=get_engine(settings.source_url),
            tz=settings.tz,
            language=settings.kpi_language,
            currency=settings.kpi_currency,
            rollups=Rollups(settings.database_url, settings.tz, settings.kpi_late_days)
            if settings.kpi_rollups
            else None,
        )

    def refresh_rollups(self, now: datetime, rebuild: bool = False) -> RefreshReport | None:
        """Bring the daily rollups up to date (every pass of the scheduler; ``--rebuild`` from scratch)."""
        if self.rollups is None:
            return None
        return self.rollups.refresh(self.source, list(self.catalog.specs.values()), now, rebuild)

    def honest(self, results: list[KpiResult], now: datetime) -> list[KpiResult]:
        """Results as the data can back them (:mod:`kpi.coverage`): no value for a period the data does not
        cover or that has not begun, no change against a period partly covered, stale tables said."""
        return qualify(self, results, now)

    def period(self, text: str, now: datetime) -> PeriodPair:
        return parse_period(text, now, self.tz)

    def resolve(self, name: str) -> Kpi:
        return self.catalog.resolve(name)

    def ask(
        self, kpi: str | Kpi, period: str, now: datetime, by: str | None = None, where: str | None = None
    ) -> KpiResult:
        """One KPI for a period given as text (``month``, ``2026-Q3``…), optionally broken down, or for one
        value of a breakdown only (``where``: ``channel=referral``, or ``=referral`` for any breakdown)."""
        kpi = self.resolve(kpi) if isinstance(kpi, str) else kpi
        if by is not None:
            by = self.catalog.dimension(kpi, by)  # refuse a bad dimension before parsing the period
        if where is not None:
            pair = self.period(period, now)
            found = self._where(kpi, pair, where)
            if by is None or found.where is None:
                return self.honest([found], now)[0]
            if found.where[0] == by:  # "organic by channel": the breakdown itself
                return self.honest([compute(self.catalog, self.source, kpi, pair, by, self.rollups)], now)[0]
            # a breakdown inside one value ("organic's revenue by category"): filtered in SQL
            inside = compute(self.within(kpi, *found.where), self.source, kpi, pair, by, self.rollups)
            return self.honest([replace(inside, where=found.where)], now)[0]
        return self.honest([compute(self.catalog, self.source, kpi, self.period(period, now), by, self.rollups)], now)[
            0
        ]

    def _where(self, kpi: Kpi, pair: PeriodPair, where: str) -> KpiResult:
        """The KPI for one value of a breakdown: the breakdown computed, and its value's row taken (so the
        rollups answer as for any breakdown). The value matches in any case, with or without accents."""
        name, _, value = where.partition("=")
        dims = [self.catalog.dimension(kpi, name)] if name else list(self.catalog.metrics[kpi.key].dimensions)
        if not dims:
            raise Refusal("err_filter_no_dimension", kpi=kpi.key)
        wanted, seen = alias_key(value), {}
        for by in dims:
            found = compute(self.catalog, self.source, kpi, pair, by, self.rollups)
            for row in found.breakdown:
                if row.key is not None and alias_key(row.key) == wanted:
                    return segment_of(found, row, (by, row.key))
                if row.key is not None:
                    seen[row.key] = by
        close = difflib.get_close_matches(value, list(seen), n=3, cutoff=0.5)
        raise Refusal(
            "err_filter_value" if close else "err_filter_value_none",  # no "Did you mean —?" with nothing to offer
            value=value[:64],
            kpi=kpi.key,
            where=" / ".join(dims),
            close=", ".join(f"`{c}`" for c in close),
            choices=tuple(f"{seen[c]}={c}" for c in close),
        )

    def known_values(self, now: datetime, period: str = "365d", limit: int = 500) -> dict[str, list[str]]:
        """The values of each breakdown seen in the data over ``period`` (one breakdown query each, through
        the rollups when they are on), for the question reader to recognise them ("Training day"): see
        :meth:`Catalog.with_values`. At most ``limit`` values per breakdown, none longer than 64 characters."""
        found: dict[str, list[str]] = {}
        pair = self.period(period, now)
        for key, metric in self.catalog.metrics.items():
            for by in metric.dimensions:
                if by in found:
                    continue
                result = compute(self.catalog, self.source, self.catalog.kpis[key], pair, by, self.rollups)
                keys = [row.key for row in result.breakdown if row.key is not None and len(row.key) <= 64]
                found[by] = keys[:limit]
        return found

    def within(self, kpi: Kpi, by: str, key: str | None) -> Catalog:
        """The catalog with each measure of ``kpi`` narrowed, in SQL, to one value of the breakdown ``by``
        (``key``; None: the rows without one): to break down or split the change inside that value. The
        rollups hold whole measures, so such questions read the source."""
        specs = dict(self.catalog.specs)
        for name in self.catalog.measures_of(kpi):
            ref = self.catalog.dimension_ref(name, by)
            only = FilterSpec(ref, "is null") if key is None else FilterSpec(ref, "=", key)
            specs[name] = replace(specs[name], filters=(*specs[name].filters, only))
        return replace(self.catalog, specs=specs)

    def why(self, kpi: str | Kpi, period: str, now: datetime, where: str | None = None) -> tuple[KpiResult, list[Why]]:
        """The KPI over a period, and its change split across the values of each of its breakdowns
        (:mod:`kpi.why`: one query per breakdown; those that can't be split are left out). With ``where``,
        inside one value of a breakdown, across the other breakdowns."""
        kpi = self.resolve(kpi) if isinstance(kpi, str) else kpi
        pair = self.period(period, now)
        catalog, skip = self.catalog, None
        if where is not None:
            total = self.honest([self._where(kpi, pair, where)], now)[0]
            if total.where is not None:
                catalog, skip = self.within(kpi, *total.where), total.where[0]
        else:
            total = self.honest([compute(self.catalog, self.source, kpi, pair, None, self.rollups)], now)[0]
        whys: list[Why] = []
        if not total.comparable:  # no change the data can back: nothing to split
            return total, whys
        for by in self.catalog.metrics[kpi.key].dimensions:
            if by == skip:
                continue
            found = decompose(catalog, compute(catalog, self.source, kpi, pair, by, self.rollups))
            if found is not None:
                whys.append(found)
        return total, whys

    def overview(self, period: str, now: datetime, keys: list[str] | None = None) -> list[KpiResult]:
        """Every KPI (or the listed ones) for one period, in one round trip."""
        kpis = [self.resolve(k) for k in keys] if keys else list(self.catalog.kpis.values())
        return self.honest(
            compute_many(self.catalog, self.source, kpis, self.period(period, now), rollups=self.rollups), now
        )


def table_rows(url: str, tables: list[str]) -> dict[str, int]:
    """Rows in each table of the source at ``url`` (``schema.table`` accepted); SourceError when it can't answer."""
    from kpi.store.facts import table_rows as count

    return count(url, tables)
