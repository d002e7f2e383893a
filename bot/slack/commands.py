"""What `/kpi …` can ask for: each command, and each way a command can be refused, as frozen data.

:func:`bot.slack.parse.parse` makes them from text; the listeners answer each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi.errors import Refusal, UnknownKpi
from kpi.rules import RuleSpec

DEFAULT_PERIOD = "month"


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ListKpis:
    period: str = DEFAULT_PERIOD


@dataclass(frozen=True)
class Explain:
    kpi: str


@dataclass(frozen=True)
class Ask:
    kpi: str
    period: str = DEFAULT_PERIOD
    by: str | None = None
    share: bool = False
    chart: bool = False
    where: str | None = None  # one value of a breakdown: "channel=referral", or "=referral" (any breakdown)
    guessed: bool = False  # the filter is a word of a free-text question the data must confirm
    why: bool = False  # "why did revenue drop last month?": the change split across breakdowns


# -- errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TooLong:
    length: int


@dataclass(frozen=True)
class NotUnderstood:
    words: str
    suggestions: tuple[str, ...] = ()  # period words close to what was typed ('lastmonth' -> 'last-month')


@dataclass(frozen=True)
class Unclear:
    """A free-text question read only in part: what was not understood, and the closest readings (offered
    as buttons). ``no_kpi``: no KPI was found at all; ``comparison``: ``words`` is a comparison understood but
    not one the bot makes ("vs march"), and the readings are the two it makes."""

    words: str
    readings: tuple[Ask, ...] = ()
    no_kpi: bool = False
    comparison: bool = False


@dataclass(frozen=True)
class MissingKpi:
    command: str = "explain"  # the command that lacked its KPI, for the example in the answer


@dataclass(frozen=True)
class BadKpi:
    error: UnknownKpi


@dataclass(frozen=True)
class ListRules:
    pass


@dataclass(frozen=True)
class RuleModal:
    pass


@dataclass(frozen=True)
class CreateRule:
    spec: RuleSpec


@dataclass(frozen=True)
class EditRule:
    rule_id: int


@dataclass(frozen=True)
class RemoveRule:
    rule_id: int


@dataclass(frozen=True)
class SnoozeRule:
    rule_id: int
    seconds: int


@dataclass(frozen=True)
class RuleHistory:
    pass


@dataclass(frozen=True)
class Digest:
    action: str  # daily | weekly | off | now | show
    at_time: str | None = None  # HH:MM
    weekday: int | None = None
    timezone: str | None = None
    kpis: tuple[str, ...] = ()
    where: str | None = None  # one value of a breakdown only ('for organic')


@dataclass(frozen=True)
class Pin:
    kpi: str
    on: bool = True


@dataclass(frozen=True)
class Target:
    kpi: str
    grain: str
    value: float | None  # None: remove it


@dataclass(frozen=True)
class BadTarget:
    problem: Refusal | None = None  # None: show the usage


@dataclass(frozen=True)
class BadRule:
    problem: Refusal | None = None  # None: show the usage
    action: str = "create"  # create | snooze | remove | edit: which usage and apology fit


@dataclass(frozen=True)
class BadDigest:
    problem: Refusal | None = None


Command = (
    Help
    | ListKpis
    | Explain
    | Ask
    | ListRules
    | RuleModal
    | CreateRule
    | RemoveRule
    | SnoozeRule
    | RuleHistory
    | Digest
    | Pin
    | Target
    | EditRule
)
ParseError = TooLong | NotUnderstood | Unclear | MissingKpi | BadKpi | BadRule | BadDigest | BadTarget
