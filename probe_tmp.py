import sys
from tests.bot.test_dev_questions import CATALOG, meaning
from bot.slack import parse as p
qs = [l for l in sys.stdin.read().split("\n") if l.strip()]
for q in qs:
    lang = "fr" if q.startswith("fr:") else "en"
    q = q.split(":",1)[1] if q[:3] in ("fr:","en:") else q
    got = p.parse(q, CATALOG, lang)
    m = meaning(got)
    if isinstance(got, p.Ask):
        print(f"{q!r:60} -> ASK {got.kpi} {got.period!r} by={got.by} where={got.where} chart={got.chart} why={got.why} {'(REFUSED by data)' if m is None else ''}")
    else:
        print(f"{q!r:60} -> {got!r}"[:250])
