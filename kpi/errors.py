"""One small error hierarchy for everything the KPI engine can refuse.

::

    KpiError                      base: every expected failure; .message is safe to show a user
    ├── UserInputError            the question is wrong; nothing was changed
    │   ├── Refusal               a typed value was refused; .text(lang) says why in the user's language
    │   ├── UnknownKpi            name is not a KPI nor an alias; .suggestions
    │   ├── UnknownDimension      the KPI cannot be broken down that way; .suggestions
    │   └── PeriodError           the period text is not one of the accepted forms
    ├── DefinitionError           a KPI definition file is malformed; .issues lists every problem
    ├── DataImportError           a CSV import was refused; .problems lists bad lines; nothing loaded
    ├── SourceError               the source database is unreachable or a query failed
    │   └── SourceTimeout         it did not answer within the time limit (.seconds)
    ├── NotMigrated               the bot's database has no tables yet, or an older schema
    └── SecretKeyError            stored bot tokens do not decrypt with KPI_ENCRYPTION_KEY

Callers catch :class:`KpiError` to answer politely, and let anything else
propagate (it is a bug, to be logged with its traceback).
"""

from __future__ import annotations

from dataclasses import dataclass


class KpiError(Exception):
    """Base of every expected failure. ``str(err)`` is a one-line, user-safe message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UserInputError(KpiError):
    """The question cannot be answered as asked; nothing was changed."""


class Refusal(UserInputError):
    """Typed input refused (a number, a rule, a duration). ``key`` and ``params`` name the message in
    ``kpi/locales``; ``.message`` is the English text, ``.text(lang)`` the user's. An empty key means
    "show the usage" (the caller knows which)."""

    def __init__(self, key: str = "", **params: object):
        self.key = key
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        from kpi.texts import t

        return t(lang, self.key, **self.params) if self.key else ""


class UnknownKpi(UserInputError):
    def __init__(self, name: str, suggestions: list[str], known: list[str]):
        self.name = name
        self.suggestions = suggestions
        self.known = known
        hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown KPI '{name}'.{hint} Known KPIs: {', '.join(known)}.")


class UnknownDimension(UserInputError):
    def __init__(self, kpi: str, name: str, suggestions: list[str], known: list[str]):
        self.kpi = kpi
        self.name = name
        self.suggestions = suggestions
        self.known = known
        if known:
            hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
            msg = f"'{kpi}' cannot be broken down by '{name}'.{hint} Possible: {', '.join(known)}."
        else:
            msg = f"'{kpi}' has no breakdown."
        super().__init__(msg)


class PeriodError(UserInputError):
    def __init__(self, text: str, accepted: list[str]):
        self.text = text
        self.accepted = accepted
        super().__init__(f"'{text}' is not a period I understand. Accepted forms: {', '.join(accepted)}.")


@dataclass(frozen=True)
class DefinitionIssue:
    """One problem in a definitions file: where, which object, what is wrong, how to fix it."""

    file: str
    obj: str
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.file}: {self.obj}: {self.problem}.{fix}"


class DefinitionError(KpiError):
    def __init__(self, issues: list[DefinitionIssue]):
        self.issues = issues
        lines = "\n".join(f"  - {issue}" for issue in issues)
        super().__init__(f"{len(issues)} problem(s) in KPI definitions:\n{lines}")


@dataclass(frozen=True)
class ImportProblem:
    line: int
    column: str | None
    problem: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.problem}"


class DataImportError(KpiError):
    MAX_SHOWN = 20

    def __init__(self, source: str, problems: list[ImportProblem]):
        self.source = source
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[: self.MAX_SHOWN])
        more = len(problems) - self.MAX_SHOWN
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(f"{source}: nothing was imported, {len(problems)} problem(s):\n{shown}{tail}")


class SourceError(KpiError):
    """The source database could not answer. The original exception is chained."""


class SourceTimeout(SourceError):
    """The source (or the bot's database) did not answer within ``seconds``."""

    def __init__(self, seconds: float, what: str = "the data source"):
        self.seconds = seconds
        super().__init__(f"{what[:1].upper()}{what[1:]} did not answer within {seconds:g} s.")


class NotMigrated(KpiError):
    """The bot's database is missing or not migrated to this version's schema; the message gives the fix."""

    def __init__(self, why: str):
        self.why = why
        super().__init__(
            f"{why}: run `python -m kpi migrate` first (with the same DATABASE_URL). "
            "For demo data: `python -m kpi demo-data`; `make demo` keeps its own in demo.db, "
            "read it with DATABASE_URL=sqlite:///demo.db python -m kpi …."
        )


class SecretKeyError(KpiError):
    """Stored secrets (the workspaces' bot tokens) cannot be decrypted with KPI_ENCRYPTION_KEY."""
