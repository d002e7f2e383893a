"""Regenerate the README's chart images from seeded demo data: python docs/screenshots/make.py

The demo's clock is frozen mid-morning, so every chart ends on a day in progress: it must be drawn as such."""

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1]))

from pydantic import SecretStr  # noqa: E402

from bot.render import charts  # noqa: E402
from bot.sandbox.local_slack import LocalSlack  # noqa: E402
from kpi import demo  # noqa: E402
from kpi.compute import compute  # noqa: E402
from kpi.config import Settings  # noqa: E402
from kpi.present import format_value, period_label  # noqa: E402
from kpi.series import series  # noqa: E402
from kpi.service import KpiService  # noqa: E402
from kpi.store import facts, migrations  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def main() -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/screens.db"
    migrations.upgrade(url)
    facts.replace_all(url, demo.generate(NOW, days=400, seed=42))
    with LocalSlack():
        service = KpiService.from_settings(
            Settings(_env_file=None, database_url=url, slack_bot_token=SecretStr("x"), kpi_rollups=False)
        )
    pair = service.period("30d", NOW)
    cac = series(service, service.resolve("cac"), pair, now=NOW)
    (HERE / "chart-cac-30d.png").write_bytes(
        charts.trend(
            cac, "Customer acquisition cost - last 30 days", "last 30 days", "the 30 days before", "en", "EUR", 150.0
        )
    )
    quarter = service.period("90d", NOW)
    revenue_90d = series(service, service.resolve("revenue"), quarter, now=NOW)
    (HERE / "chart-revenue-90d.png").write_bytes(
        charts.trend(revenue_90d, "Revenue - last 90 days, by week", "last 90 days", "the 90 days before", "en", "EUR")
    )
    last_month = service.period("last-month", NOW)
    revenue = compute(service.catalog, service.source, "revenue", last_month, "product")
    (HERE / "chart-revenue-by-product-fr.png").write_bytes(
        charts.breakdown(
            revenue,
            "Chiffre d'affaires par produit - octobre 2026",
            period_label(last_month.current, "fr"),
            period_label(last_month.previous, "fr", previous=True),
            "fr",
            "EUR",
        )
    )
    month = service.overview("month", NOW)
    yesterday = service.overview("yesterday", NOW)
    spark = [
        (
            r.kpi.name("en"),
            series(service, r.kpi, pair, with_previous=False, now=NOW),
            format_value(y.value, r.kpi.unit, "en", "EUR"),
        )
        for r, y in zip(month, yesterday, strict=True)
    ]
    (HERE / "digest-sparklines.png").write_bytes(charts.sparklines(spark, "en", "EUR"))
    print("written:", ", ".join(p.name for p in sorted(HERE.glob("*.png"))))


if __name__ == "__main__":
    main()
