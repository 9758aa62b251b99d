"""Rules over scores: range, key, rhythm, voice-leading and harmony; profiles; fix helpers.
(The composer's decode-time masks, built on these rules, are its own mechanism:
:mod:`partita.symbolic.composer.masks`.)

>>> from partita.symbolic.score import Note, Part, Score
>>> from partita.theory_rules import check
>>> s = Score(parts=(Part("fl", "Flute", "flute", (Note(0, 1, 50),)),))
>>> print(check(s, profile="orchestration").violations[0].message)
Flute: D3 is below the playable range of Flute (B3–D7), bar 1 beat 1

See docs/theory_rules.md for every rule with an example.
"""

from partita.theory_rules.core import (
    CATEGORIES,
    SEVERITIES,
    Rule,
    RuleSkipped,
    Violation,
    all_rules,
    get_rule,
    register,
    rule_class,
    rule_ids,
)
from partita.theory_rules.engine import PROFILES, Notice, Profile, Report, RuleSet, check, get_profile
from partita.theory_rules.fixes import FixResult, Move, fit_to_range, reorchestrate, transpose_for
from partita.theory_rules.lines import Line, ScoreView
from partita.theory_rules.sketch import parse_key, sketch

__all__ = [
    "CATEGORIES",
    "FixResult",
    "Move",
    "fit_to_range",
    "reorchestrate",
    "transpose_for",
    "SEVERITIES",
    "PROFILES",
    "Line",
    "Notice",
    "Profile",
    "Report",
    "Rule",
    "RuleSet",
    "RuleSkipped",
    "ScoreView",
    "Violation",
    "all_rules",
    "check",
    "get_profile",
    "get_rule",
    "register",
    "rule_class",
    "rule_ids",
    "parse_key",
    "sketch",
]
