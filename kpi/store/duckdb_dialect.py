"""DuckDB's SQLAlchemy dialect (duckdb-engine), with SQLAlchemy's compiled-statement cache on.

duckdb-engine leaves the cache off (``supports_statement_cache = False``, its conservative default for a
third-party dialect), so every question was compiled again: about 1.5 ms, most of what DuckDB takes to
answer a small one. Its statement compiler is PostgreSQL's, which SQLAlchemy caches on PostgreSQL itself,
and the bot's statements use no construct of duckdb-engine's own. The conformance suite
(``tests/kpi/test_engines.py``) runs every statement kind through this dialect, each shape several
times with other dates.

Registered for ``duckdb://`` URLs by :mod:`kpi.store.engines`; imported only when such an engine is
created, so that duckdb-engine stays an optional extra.
"""

from __future__ import annotations

from duckdb_engine import Dialect


class DuckDBDialect(Dialect):
    supports_statement_cache = True
