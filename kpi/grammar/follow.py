"""Follow-ups: a reply in the thread of an answer changes only what it says (:func:`follow`)."""

from __future__ import annotations

from kpi.grammar.comparisons import resolve_comparison
from kpi.grammar.questions import Reading


def follow(previous: Reading, reply: Reading) -> Reading:
    """A reply in the thread of an answer: the previous question, changed only where the reply says.
    A new breakdown is made inside the value asked ("and by category?" after "for organic"), and replaces
    it when it is by that value's own dimension; a new filter drops the breakdown; "overall" drops both."""
    if reply.kpi is not None and reply.kind == "explain":
        return reply
    by, where, guessed = previous.by, previous.where, previous.guessed
    if reply.by is not None:
        by = reply.by
        if where is not None and where.partition("=")[0] == reply.by:
            where, guessed = None, False
    if reply.where is not None:
        by, where, guessed = None, reply.where, reply.guessed
    if reply.total:
        by, where, guessed = None, None, False
    period, yoy, unhonoured = reply.period or previous.period, reply.yoy or previous.yoy, reply.unhonoured
    if reply.period == "-1y":  # "same for last year": the same period, a year earlier
        period = f"{previous.period or 'month'}-1y"
    if reply.compared is not None:  # "and vs the week before?": against the question it follows
        compare, said, own = reply.compared
        period, yoy, unhonoured = resolve_comparison(own or previous.period, previous.yoy, compare, said)
    return Reading(
        kind="ask",
        kpi=reply.kpi or previous.kpi,
        period=period,
        by=by,
        where=where,
        yoy=yoy,
        chart=reply.chart,
        guessed=guessed,
        unknown=reply.unknown,
        why=reply.why,
        unhonoured=unhonoured,
    )
