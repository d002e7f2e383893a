"""Anomalies: is a day's value unusual for that weekday? (issue 15, the expected range)

The expected range of a day comes from the KPI's own history on the same weekday: the last
:data:`WEEKS` Tuesdays for a Tuesday. Business series have a weekly rhythm (a Monday is not a
Saturday), so comparing with the same weekday removes it without a seasonal model, and a handful of
past values is all a young KPI has.

The centre is their median. The spread is the median absolute deviation of every day of those weeks
from its own weekday's median, pooled over the 7 weekdays (56 values rather than 8: the spread of 8
alone was too unstable), scaled to read as a standard deviation. Both are robust: one past outlier
(a broken feed, a record day) moves neither, where a mean and a standard deviation would widen the
band after each incident and hide the next one. The range is a ratio band, centre ÷ e^(kσ) to
centre × e^(kσ), for a KPI that is always positive, and centre ± kσ otherwise (σ in the KPI's unit), ``k``
set by the sensitivity. σ never goes below :data:`FLOOR` (of the centre, or of the KPI's usual size when the
centre is 0: a history flat at 0 still has a range), so that a very regular series does not call a 3 % dip
unusual, nor €1.00 on a weekday that is usually €0.00.

The sensitivities' ``k`` were chosen with the backtest (``tests/benchmarks/backtest.py``, figures
in BENCHMARKS.md). Nothing here reads a database: the caller passes the daily values in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from statistics import median


class Sensitivity(str, Enum):
    LOW = "low"  # only the most striking days
    MEDIUM = "medium"  # the default
    HIGH = "high"  # more alerts, earlier


WIDTH = {Sensitivity.LOW: 4.0, Sensitivity.MEDIUM: 3.0, Sensitivity.HIGH: 2.25}  # k, in robust deviations
WEEKS = 8  # same weekdays looked at
MIN_HISTORY = 4  # fewer known same weekdays: not judged, and said so
FLOOR = 0.04  # the spread is at least 4 % of the centre
MAD_TO_SIGMA = 1.4826
PREDICTION = 1.1  # a new day also differs from the median by the median's own error (√(1 + π/2/8))


@dataclass(frozen=True)
class Judgement:
    day: date
    value: float | None
    history: int  # same weekdays with a value, out of WEEKS
    expected: float | None  # the median of those, None when not enough history
    low: float | None
    high: float | None

    @property
    def judged(self) -> bool:
        return self.expected is not None and self.value is not None

    @property
    def direction(self) -> str | None:
        """'low' or 'high' when the value is outside the expected range, else None."""
        if not self.judged:
            return None
        if self.value < self.low:  # type: ignore[operator]
            return "low"
        if self.value > self.high:  # type: ignore[operator]
            return "high"
        return None

    @property
    def unusual(self) -> bool:
        return self.direction is not None


def _same_weekdays(daily: dict[date, float | None], day: date, weeks: int) -> list[float]:
    """The values of the same weekday in the ``weeks`` weeks before ``day``."""
    return [v for i in range(1, weeks + 1) if (v := daily.get(day - timedelta(weeks=i))) is not None]


def _spread(daily: dict[date, float | None], day: date, weeks: int, ratio: bool) -> float | None:
    """The typical distance of a day from its weekday's median, pooled over the 7 weekdays (7 × ``weeks``
    residuals rather than ``weeks``: a stable estimate), as a standard deviation widened for the error of
    the median itself. In ``ratio`` terms (log) for a positive KPI, else in the KPI's own unit."""
    residuals = []
    for back in range(7):
        values = _same_weekdays(daily, day - timedelta(days=back), weeks)
        if len(values) < MIN_HISTORY:
            continue
        centre = median(values)
        if ratio and centre > 0 and all(v > 0 for v in values):
            residuals += [math.log(v / centre) for v in values]
        elif not ratio:  # in the KPI's unit: a weekday centred on 0 (closed on Sundays, a margin) counts too
            residuals += [v - centre for v in values]
    if len(residuals) < 2 * MIN_HISTORY:
        return None
    return median(abs(r) for r in residuals) * MAD_TO_SIGMA * PREDICTION


def judge(
    daily: dict[date, float | None], day: date, sensitivity: Sensitivity = Sensitivity.MEDIUM, weeks: int = WEEKS
) -> Judgement:
    """Is ``daily[day]`` unusual against the same weekday of the ``weeks`` weeks before?

    A KPI that is always positive (revenue, a rate) varies by ratios: its range is centre ÷ e^(kσ) to
    centre × e^(kσ), so that −30 % and +30 % are judged alike. Otherwise (a margin that can go negative, a
    weekday at 0) the range is centre ± kσ, σ in the KPI's unit and never below :data:`FLOOR` of the KPI's
    usual size (:func:`_scale`): a history flat at 0 still has a range."""
    history = _same_weekdays(daily, day, weeks)
    value = daily.get(day)
    if len(history) < MIN_HISTORY:
        return Judgement(day, value, len(history), None, None, None)
    centre = median(history)
    k = WIDTH[Sensitivity(sensitivity)]
    if centre > 0 and all(v > 0 for v in history):
        sigma = max(_spread(daily, day, weeks, ratio=True) or 0.0, FLOOR)
        return Judgement(day, value, len(history), centre, centre * math.exp(-k * sigma), centre * math.exp(k * sigma))
    floor = FLOOR * max(abs(centre), _scale(daily, day, weeks))
    width = k * max(_spread(daily, day, weeks, ratio=False) or 0.0, floor)
    low = centre - width if any(v < 0 for v in history) else max(centre - width, 0.0)  # never below 0 unseen
    return Judgement(day, value, len(history), centre, low, centre + width)


def _scale(daily: dict[date, float | None], day: date, weeks: int) -> float:
    """The KPI's usual size: the median distance from 0 of every day of the weeks looked at. A range is never
    narrower than :data:`FLOOR` of it, so that a weekday whose history is flat at 0 (a shop closed on Sundays)
    does not call €1.00 unusual."""
    values = [abs(v) for back in range(7) for v in _same_weekdays(daily, day - timedelta(days=back), weeks)]
    return median(values) if values else 0.0
