"""The question table (``questions.tsv``): questions the way people ask them, in English and French, with
typos and accents, and how each must be read. The rate read right must stay at 95 % or more in each language.

``python -m tests.bot.test_questions`` prints the rates and the questions read wrong."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bot.slack import parse as p
from kpi.catalog import load_catalog

TABLE = Path(__file__).with_name("questions.tsv")
CATALOG = load_catalog()
TARGET = 0.95


def rows() -> list[tuple[str, str, str]]:
    found = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, question, expected = line.split("\t")
            found.append((lang, question, expected))
    return found


def expected_command(text: str):
    """'cac last-month by=channel where=channel=referral yoy chart why' -> the command it stands for."""
    words = text.split(" ")
    match words[0]:
        case "help":
            return p.Help()
        case "list":
            return p.ListKpis(words[1])
        case "explain":
            return p.Explain(words[1])
        case "unclear":
            return p.Unclear
    kpi, period, *rest = words
    fields: dict = {}
    rest_text = " ".join(rest)
    if "where=" in rest_text:  # a filter's value may hold a space ("paid search"): it runs to the next flag
        before, _, after = rest_text.partition("where=")
        value = []
        tail = after.split(" ")
        while tail and tail[0] not in ("yoy", "chart", "why") and not tail[0].startswith("by="):
            value.append(tail.pop(0))
        where = " ".join(value)
        fields["guessed"] = where.endswith("?")
        fields["where"] = where.rstrip("?")
        rest = before.split() + tail
    for flag in rest:
        if flag.startswith("by="):
            fields["by"] = flag[3:]
        elif flag == "yoy":
            period = f"{period} yoy"
        elif flag in ("chart", "why"):
            fields[flag] = True
    return p.Ask(kpi, period, **fields)


def read_right(lang: str, question: str, expected: str) -> tuple[bool, object]:
    got = p.parse(question, CATALOG, lang)
    want = expected_command(expected)
    return (isinstance(got, want) if isinstance(want, type) else got == want), got


def rates() -> tuple[dict[str, float], list[tuple[str, str, str, object]]]:
    seen, right, wrong = defaultdict(int), defaultdict(int), []
    for lang, question, expected in rows():
        ok, got = read_right(lang, question, expected)
        seen[lang] += 1
        right[lang] += ok
        if not ok:
            wrong.append((lang, question, expected, got))
    return {lang: right[lang] / seen[lang] for lang in seen}, wrong


def test_the_table_is_big_enough_and_in_both_languages():
    found = rows()
    assert len(found) >= 150
    assert {lang for lang, _, _ in found} == {"en", "fr"}
    assert min(sum(lang == x for lang, _, _ in found) for x in ("en", "fr")) >= 75


def test_the_question_table_is_read_right_in_each_language():
    found, wrong = rates()
    listing = "\n".join(f"  [{lang}] {q!r}: want {e!r}, got {g!r}" for lang, q, e, g in wrong)
    assert all(rate >= TARGET for rate in found.values()), f"rates {found}; read wrong:\n{listing}"


def test_a_wrong_expectation_is_caught():
    """The table's checker can fail: a question read as another KPI is counted wrong."""
    assert read_right("en", "what was our cac last month?", "revenue last-month")[0] is False
    assert read_right("en", "what was our cac last month?", "cac last-month")[0] is True


if __name__ == "__main__":
    found, wrong = rates()
    total = {lang: sum(1 for row in rows() if row[0] == lang) for lang in found}
    for lang, rate in sorted(found.items()):
        print(f"{lang}: {rate:.1%} of {total[lang]} questions read right")
    for lang, q, e, g in wrong:
        print(f"  [{lang}] {q!r}: want {e!r}, got {g!r}")
