"""The words of rules, targets and digests, in English and French: one grammar for the command and the forms.

What people type (`/kpi alert cac > €1,500 30d for 2`, `/kpi digest weekly lundi 9h Europe/Paris`) and
what they pick in a form (the rule and digest modals) become the same typed values (:class:`RuleSpec`,
:class:`DigestSpec`) through the same validators. Numbers are read with the language's rules
(:mod:`kpi.numbers`); a refusal is a :class:`~kpi.errors.Refusal` that says what is accepted.
Pure: no Slack, no database, no clock.
"""

from kpi.grammar.digests import clock_time, digest_from_fields, digest_from_words, time_zone, weekday
from kpi.grammar.rules import (
    FieldRefusal,
    rule_from_fields,
    rule_from_words,
    target_from_words,
    target_rule_from_words,
    unusual_from_words,
)
from kpi.grammar.words import (
    CHANGE_WORDS,
    DAY_WORDS,
    GRAINS,
    OP_WORDS,
    REPEATS,
    SENSITIVITY_WORDS,
    UNUSUAL_GRAINS,
    UNUSUAL_WORDS,
    WEEKDAYS,
    number_words,
    parse_change,
    parse_duration,
    parse_threshold,
    threshold_as_typed,
)
from kpi.store.state.records import DigestSpec

__all__ = [
    "CHANGE_WORDS",
    "DAY_WORDS",
    "GRAINS",
    "OP_WORDS",
    "REPEATS",
    "SENSITIVITY_WORDS",
    "UNUSUAL_GRAINS",
    "UNUSUAL_WORDS",
    "WEEKDAYS",
    "DigestSpec",
    "FieldRefusal",
    "clock_time",
    "digest_from_fields",
    "digest_from_words",
    "number_words",
    "parse_change",
    "parse_duration",
    "parse_threshold",
    "rule_from_fields",
    "rule_from_words",
    "target_from_words",
    "target_rule_from_words",
    "threshold_as_typed",
    "time_zone",
    "unusual_from_words",
    "weekday",
]
