"""A question's SQL is built once per shape and only its dates change: the same statement object for the
same question asked of other periods (so SQLAlchemy compiles it once), the right numbers for each, and
source queries run on kept worker threads, a hung one never holding the next."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.catalog import load_catalog
from kpi.compute import window
from kpi.errors import SourceTimeout
from kpi.periods import parse_period
from kpi.store import engines
from kpi.store.aggregate import plain_pieces, prepared
from kpi.store.engines import within

CATALOG = load_catalog()
NOW = datetime(2026, 11, 25, 10, 30, tzinfo=timezone.utc)


def pieces(period: str, metric: str = "cac"):
    pair = parse_period(period, NOW, ZoneInfo("Europe/Paris"))
    return plain_pieces(
        [CATALOG.specs[m] for m in CATALOG.metrics[metric].measures], [window(pair.current), window(pair.previous)]
    )


def test_the_same_question_for_other_dates_reuses_its_statement_with_other_values():
    october, stmt_oct = pieces("2026-10"), prepared(pieces("2026-10"))
    stmt_sep, values_sep = prepared(pieces("2026-09"))
    assert stmt_oct[0] is stmt_sep  # built once: SQLAlchemy's cache then compiles it once per engine
    assert stmt_oct[1]["b0_first_day"].isoformat() == "2026-10-01"
    assert values_sep["b0_first_day"].isoformat() == "2026-09-01"
    assert values_sep["b1_first_day"].isoformat() == "2026-08-01"
    assert prepared(october)[1] == stmt_oct[1]


def test_another_shape_gets_another_statement():
    assert prepared(pieces("2026-10", "cac"))[0] is not prepared(pieces("2026-10", "conversion_rate"))[0]
    # a cumulative window that starts from a date is another shape (one more bound) than one that does not
    ltv = pieces("2026-10", "ltv")
    spec, i, part, w, ref = ltv[0]
    later = type(part)(
        part.start_utc,
        part.end_utc,
        part.first_day,
        part.end_day,
        part.whole_end,
        cumulative_from=datetime(2026, 10, 29),
    )
    stmt, values = prepared([(spec, i, later, w, ref)])
    assert stmt is not prepared(ltv[:1])[0] and values["b0_cumulative_from"] == datetime(2026, 10, 29)


def test_duckdb_urls_use_the_dialect_with_the_statement_cache_on(tmp_path):
    pytest.importorskip("duckdb_engine")
    engine = engines.get_engine(f"duckdb:///{tmp_path / 'facts.duckdb'}")
    try:
        assert type(engine.dialect).__name__ == "DuckDBDialect"
        assert engine.dialect._supports_statement_cache
    finally:
        engine.dispose()


def test_queries_run_on_kept_workers_and_a_hung_one_does_not_hold_the_next():
    first = within(5, threading.get_ident)
    assert within(5, threading.get_ident) == first  # the same worker, kept between queries
    release = threading.Event()
    with pytest.raises(SourceTimeout):
        within(0.05, lambda: release.wait(10))  # hangs past its limit: the caller moves on
    try:
        assert within(5, lambda: 6 * 7) == 42  # another worker answers meanwhile
    finally:
        release.set()
    with pytest.raises(ZeroDivisionError):
        within(5, lambda: 1 / 0)  # a failure reaches the caller as it is
