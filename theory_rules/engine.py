"""Profiles, rule sets and :func:`check`: run many rules over a score and report.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("s", "Soprano", "soprano", (Note(0, 1, 72), Note(1, 1, 74))),
...                  Part("b", "Bass", "bass", (Note(0, 1, 53), Note(1, 1, 55)))))
>>> report = check(s, profile="chorale")
>>> [v.message for v in report.violations if v.rule == "parallel-fifths"]
['Soprano and Bass: parallel fifths, bar 1 beat 1 → bar 1 beat 2']
>>> report.n_errors
1
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from partita._presets import Entry, load, table
from partita.errors import ConfigError
from partita.theory_rules.core import (
    Rule,
    RuleSkipped,
    Violation,
    get_rule,
    params_dict,
    rule_class,
    rule_ids,
)
from partita.theory_rules.lines import ScoreView

if TYPE_CHECKING:  # pragma: no cover
    from partita.symbolic.score import Score

__all__ = ["Profile", "PROFILES", "load_profiles", "get_profile", "RuleSet", "Notice", "Report", "check"]


@dataclass(frozen=True, slots=True)
class Profile:
    """A named selection of rules and their parameter overrides.

    ``rules`` maps each rule id in the profile to the parameters it changes from the rule's
    defaults (an empty mapping: defaults).
    """

    name: str
    description: str
    rules: Mapping[str, Mapping[str, Any]]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "rules", MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.rules.items()})
        )


def load_profiles(path: str | os.PathLike[str] | None = None) -> Mapping[str, Profile]:
    """The rule profiles of ``profiles.toml`` (package data, read once), or of the file at
    ``path``. Every rule id and parameter is checked against the rule registry: a bad one
    raises :class:`~partita.errors.PresetError` naming the file, the profile and the rule.

    >>> dict(load_profiles()["pop"].rules["key-outside"])
    {'mode': 'lenient'}
    """
    return load("partita.theory_rules", "profiles.toml", _parse_profiles, path)


def _parse_profiles(data: dict, file: str) -> Mapping[str, Profile]:
    profiles = {}
    for name, raw in table(data, "profile", file=file).items():
        e = Entry(file, name, raw)
        description = e.text("description")
        rules = e.sub("rules")
        for rid, params in rules.items():
            if not isinstance(params, dict):
                raise e.error(f"rules.{rid}", f"{params!r} is not a table of parameters")
            try:
                get_rule(rid, **params)
            except ConfigError as exc:
                raise e.error(f"rules.{rid}", exc.message) from None
        e.done()
        profiles[name] = Profile(name, description, rules)
    return MappingProxyType(profiles)


#: The built-in profiles: ``profiles.toml``.
PROFILES: Mapping[str, Profile] = load_profiles()


def get_profile(name: str) -> Profile:
    """The built-in profile ``name``; unknown names raise :class:`ConfigError` listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown profile {name!r}; known profiles: {', '.join(PROFILES)}") from None


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Configured rule instances, in the registry's order (by category, then id).

    >>> rs = RuleSet.from_profile("pop", disable=["off-grid"], params={"key-outside": {"mode": "strict"}})
    >>> [r.id for r in rs.rules][:4]
    ['monophonic-chords', 'range-comfortable', 'range-playable', 'key-outside']
    >>> rs.rule("key-outside").params.mode
    'strict'
    """

    rules: tuple[Rule, ...]
    profile: str = "custom"

    @classmethod
    def from_profile(
        cls,
        profile: str | Profile = "chorale",
        *,
        enable: Iterable[str] = (),
        disable: Iterable[str] = (),
        params: Mapping[str, Mapping[str, Any]] | None = None,
        severities: Mapping[str, str] | None = None,
    ) -> RuleSet:
        """Rules of ``profile``, plus ``enable``d rules, minus ``disable``d ones, with
        ``params`` (rule id -> parameter -> value) and ``severities`` (rule id -> severity)
        changed. Unknown rule ids raise :class:`ConfigError` listing the known ones."""
        prof = profile if isinstance(profile, Profile) else get_profile(profile)
        enable, disable = list(enable), list(disable)
        params = dict(params or {})
        severities = dict(severities or {})
        for rid in [*enable, *disable, *params, *severities, *prof.rules]:
            rule_class(rid)  # raises on unknown ids
        chosen = (set(prof.rules) | set(enable)) - set(disable)
        rules = []
        for rid in rule_ids():
            if rid not in chosen:
                continue
            merged = {**prof.rules.get(rid, {}), **params.get(rid, {})}
            rules.append(get_rule(rid, severity=severities.get(rid), **merged))
        return cls(tuple(rules), prof.name)

    def rule(self, rule_id: str) -> Rule:
        """The configured rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        rule_class(rule_id)
        raise ConfigError(f"rule {rule_id!r} is not enabled; enabled: {', '.join(r.id for r in self.rules)}")


@dataclass(frozen=True, slots=True)
class Notice:
    """A rule that could not run on this score (``skipped``), or ran on part of it, and why
    (said once, not an error)."""

    rule: str
    message: str
    skipped: bool = True


@dataclass(frozen=True, slots=True)
class Report:
    """What :func:`check` found.

    ``violations`` are in time order; ``notices`` name rules skipped for lack of a key or
    chords; ``n_notes`` counts every note of the score (the base of rates per 100 notes).
    """

    violations: tuple[Violation, ...]
    notices: tuple[Notice, ...]
    rules: tuple[Rule, ...]
    n_notes: int
    profile: str = "custom"
    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        c = Counter(v.rule for v in self.violations)
        object.__setattr__(self, "counts", MappingProxyType({r.id: c.get(r.id, 0) for r in self.rules}))

    @property
    def n_errors(self) -> int:
        """Number of violations with severity error."""
        return sum(v.severity == "error" for v in self.violations)

    @property
    def n_warnings(self) -> int:
        """Number of violations with severity warning."""
        return sum(v.severity == "warning" for v in self.violations)

    def rates_per_100_notes(self) -> dict[str, float]:
        """Violations of each rule per 100 notes of the score."""
        n = max(self.n_notes, 1)
        return {rid: 100.0 * k / n for rid, k in self.counts.items()}

    def by_rule(self, rule_id: str) -> list[Violation]:
        """The violations of one rule."""
        return [v for v in self.violations if v.rule == rule_id]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: ``violations`` (see :meth:`Violation.to_dict`), ``summary`` (per rule:
        severity, count, rate per 100 notes; totals), ``notices``, ``profile``, ``rules``."""
        skipped = {n.rule for n in self.notices if n.skipped}
        rates = self.rates_per_100_notes()
        return {
            "profile": self.profile,
            "violations": [v.to_dict() for v in self.violations],
            "summary": {
                "n_notes": self.n_notes,
                "n_errors": self.n_errors,
                "n_warnings": self.n_warnings,
                "rules": {
                    r.id: {
                        "severity": r.severity,
                        "count": self.counts[r.id],
                        "per_100_notes": round(rates[r.id], 4),
                        "skipped": r.id in skipped,
                    }
                    for r in self.rules
                },
            },
            "notices": [{"rule": n.rule, "message": n.message, "skipped": n.skipped} for n in self.notices],
            "rules": {r.id: params_dict(r.params) for r in self.rules},
        }

    def format_text(self) -> str:
        """Violations grouped by part (or pair of parts) and bar, then a summary per rule."""
        lines: list[str] = []
        groups: dict[tuple[str, ...], list[Violation]] = {}
        for v in self.violations:
            groups.setdefault(v.part_names, []).append(v)
        for names, vs in groups.items():
            lines.append(" and ".join(dict.fromkeys(names)))
            bar = None
            for v in sorted(vs, key=lambda v: (v.bar, v.onset)):
                if v.bar != bar:
                    bar = v.bar
                    lines.append(f"  bar {bar}")
                lines.append(f"    {v.severity:<7} {v.rule:<20} {v.message}")
        if lines:
            lines.append("")
        lines.append(f"Summary ({self.profile} profile, {self.n_notes} notes):")
        skipped = {n.rule for n in self.notices if n.skipped}
        for r in self.rules:
            k = self.counts[r.id]
            state = "skipped" if r.id in skipped else str(k)
            lines.append(f"  {r.id:<20} {r.severity:<7} {state:>7}")
        for n in self.notices:
            lines.append(f"note: {n.rule} {'skipped' if n.skipped else 'partial'}: {n.message}")
        lines.append(f"{self.n_errors} errors, {self.n_warnings} warnings")
        return "\n".join(lines)


def check(
    score: Score,
    *,
    profile: str | Profile | RuleSet = "chorale",
    enable: Iterable[str] = (),
    disable: Iterable[str] = (),
    params: Mapping[str, Mapping[str, Any]] | None = None,
    chords: Iterable[Any] | None = None,
) -> Report:
    """Run the rules of ``profile`` (changed by ``enable``, ``disable``, ``params``) on ``score``.

    Parameters
    ----------
    score
        The score; never modified.
    profile
        A profile name (``"chorale"``, ``"classical"``, ``"pop"``, ``"orchestration"``), a
        :class:`Profile`, or a ready :class:`RuleSet`.
    enable, disable
        Rule ids to add to or remove from the profile.
    params
        ``{rule id: {parameter: value}}`` overrides, e.g. ``{"spacing": {"max_semitones": 19}}``.
    chords
        Chord symbols (:class:`~partita.symbolic.score.ChordSymbol`) to judge the harmony
        against, replacing the score's own.

    Returns
    -------
    Report
        Violations in time order, notices for rules skipped (no key, no chords), note count.
    """
    if isinstance(profile, RuleSet):
        if enable or disable or params:
            raise ConfigError("pass enable/disable/params to RuleSet.from_profile, not with a RuleSet")
        rs = profile
    else:
        rs = RuleSet.from_profile(profile, enable=enable, disable=disable, params=params)
    if chords is not None:
        score = dataclasses.replace(score, chords=tuple(chords))
    view = ScoreView(score)
    found: list[Violation] = []
    notices: list[Notice] = []
    for rule in rs.rules:
        try:
            found.extend(rule.check(score, view=view))
        except RuleSkipped as skip:
            notices.append(Notice(rule.id, str(skip)))
        if rule.id in view.notices:
            notices.append(Notice(rule.id, view.notices[rule.id], skipped=False))
    order = {r.id: i for i, r in enumerate(rs.rules)}
    found.sort(key=lambda v: (v.onset, order[v.rule], v.parts))
    n_notes = sum(len(p.notes) for p in score.parts)
    return Report(tuple(found), tuple(notices), rs.rules, n_notes, rs.profile)
