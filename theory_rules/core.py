"""The rule engine's building blocks: :class:`Violation`, :class:`Rule` and the registry.

A rule is a small class with an ``id`` (``"parallel-fifths"``), a one-line ``description``, a
``severity`` (``"error"`` or ``"warning"``), a typed frozen dataclass of parameters with
defaults (``Params``) and ``check(score) -> list[Violation]``. Rules register themselves with
:func:`register`; :func:`get_rule` and :func:`all_rules` look them up.

>>> from partita.theory_rules import get_rule
>>> rule = get_rule("leap-too-large")
>>> rule.params.max_semitones
12
>>> get_rule("leap-too-large", max_semitones=19).params.max_semitones
19
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from partita.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from partita.symbolic.score import Note, Score
    from partita.theory_rules.lines import ScoreView

__all__ = [
    "SEVERITIES",
    "CATEGORIES",
    "Violation",
    "Rule",
    "RuleSkipped",
    "NoParams",
    "register",
    "get_rule",
    "rule_class",
    "all_rules",
    "rule_ids",
]

SEVERITIES = ("error", "warning")
#: The families rules belong to, in the order reports list them.
CATEGORIES = ("range", "key", "rhythm", "voice-leading", "harmony")


def _beat_str(beat: Fraction) -> str:
    return str(beat.numerator) if beat.denominator == 1 else f"{float(beat):g}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one place in a score.

    Parameters
    ----------
    rule
        The rule's id, e.g. ``"parallel-fifths"``.
    severity
        ``"error"`` or ``"warning"``.
    parts
        Ids of the parts involved, in score order (one for range or melodic rules, two for
        rules between parts).
    part_names
        Their names, same order.
    bar, beat
        Where the problem starts, as :meth:`Score.bar_of` counts (bar from 1, or 0 for a
        pickup; beat from 1 in the time signature's beat unit).
    onset
        The same place in quarter-lengths from the start of the score.
    notes
        The notes involved, in time order.
    message
        One readable line, e.g. ``"Violin I and Cello: parallel fifths, bar 12 beat 3 → bar 13
        beat 1"``.
    """

    rule: str
    severity: str
    parts: tuple[str, ...]
    part_names: tuple[str, ...]
    bar: int
    beat: Fraction
    onset: Fraction
    notes: tuple[Note, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict: the keys the CLI's ``--json`` output uses.

        ``beat`` and ``onset`` are numbers (ints when whole, else floats); ``notes`` are
        ``{"pitch", "name", "onset", "duration"}`` dicts with onsets in quarter-lengths.
        """

        def num(x: Fraction) -> int | float:
            return int(x) if x.denominator == 1 else float(x)

        return {
            "rule": self.rule,
            "severity": self.severity,
            "parts": list(self.parts),
            "part_names": list(self.part_names),
            "bar": self.bar,
            "beat": num(self.beat),
            "onset": num(self.onset),
            "notes": [
                {"pitch": n.pitch, "name": n.name, "onset": num(n.onset), "duration": num(n.duration)}
                for n in self.notes
            ],
            "message": self.message,
        }

    @property
    def where(self) -> str:
        """``"bar 12 beat 3"``."""
        return f"bar {self.bar} beat {_beat_str(self.beat)}"


class RuleSkipped(Exception):
    """Raised by :meth:`Rule.check` when the score lacks what the rule needs (a key, chord
    symbols); the engine turns it into one notice instead of a failure."""


@dataclass(frozen=True, slots=True)
class NoParams:
    """Parameters of a rule that has none."""


class Rule:
    """Base class of every rule. Subclasses set the class attributes and ``_check``.

    Parameters
    ----------
    params
        An instance of the rule's ``Params`` dataclass; ``None`` takes the defaults.
    severity
        Override the rule's default severity (``"error"`` or ``"warning"``).
    """

    id: ClassVar[str]
    description: ClassVar[str]
    category: ClassVar[str]
    default_severity: ClassVar[str]
    Params: ClassVar[type] = NoParams

    __slots__ = ("params", "severity")

    def __init__(self, params: Any = None, *, severity: str | None = None) -> None:
        if params is None:
            params = self.Params()
        elif not isinstance(params, self.Params):
            raise ConfigError(f"rule {self.id!r} takes {self.Params.__name__}, not {type(params).__name__}")
        severity = severity or self.default_severity
        if severity not in SEVERITIES:
            raise ConfigError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        self.params = params
        self.severity = severity

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r}, severity={self.severity!r})"

    def with_params(self, **changes: Any) -> Rule:
        """A copy of this rule with some parameters changed (values are coerced to the
        declared types, so ``"14"`` from a command line becomes ``14``)."""
        return type(self)(_coerce_params(self.Params, self.params, changes, rule_id=self.id), severity=self.severity)

    def check(self, score: Score, *, view: ScoreView | None = None) -> list[Violation]:
        """Every violation of this rule in ``score``, in time order.

        ``view`` is the shared analysis of the score (its melodic lines); the engine builds it
        once for all rules, a lone call builds its own.

        Raises
        ------
        RuleSkipped
            The score lacks what this rule needs (a key signature, chord symbols).
        """
        from partita.theory_rules.lines import ScoreView

        if view is None or view.score is not score:
            view = ScoreView(score)
        out = self._check(view)
        out.sort(key=lambda v: (v.onset, v.parts))
        return out

    def _check(self, view: ScoreView) -> list[Violation]:  # pragma: no cover - abstract
        raise NotImplementedError

    # helpers for subclasses --------------------------------------------------------------------

    def violation(
        self,
        view: ScoreView,
        *,
        parts: tuple[Any, ...],
        onset: Fraction,
        notes: tuple[Note, ...],
        text: str,
        who: str | None = None,
    ) -> Violation:
        """Build a Violation at ``onset``; ``parts`` are Part objects; ``text`` follows
        ``who`` (default: the part names) in the message (``"Violin I and Cello: parallel
        fifths, bar 12 beat 3 → bar 13 beat 1"``)."""
        pos = view.bar_of(onset)
        names = tuple(p.name for p in parts)
        who = who or " and ".join(dict.fromkeys(names))
        return Violation(
            rule=self.id,
            severity=self.severity,
            parts=tuple(p.id for p in parts),
            part_names=names,
            bar=pos.bar,
            beat=pos.beat,
            onset=onset,
            notes=tuple(notes),
            message=f"{who}: {text}",
        )


_REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry (ids are unique)."""
    for attr in ("id", "description", "category", "default_severity"):
        if not isinstance(getattr(cls, attr, None), str):
            raise TypeError(f"rule {cls.__name__} lacks {attr}")
    if cls.default_severity not in SEVERITIES or cls.category not in CATEGORIES:
        raise TypeError(f"rule {cls.id}: bad severity or category")
    old = _REGISTRY.get(cls.id)
    if old is not None and old.__qualname__ != cls.__qualname__:
        raise TypeError(f"rule id {cls.id!r} is registered twice")
    if not (dataclasses.is_dataclass(cls.Params) and cls.Params.__dataclass_params__.frozen):
        raise TypeError(f"rule {cls.id}: Params must be a frozen dataclass")
    _REGISTRY[cls.id] = cls
    return cls


def _load_rules() -> None:
    # the rule modules register themselves on import
    from partita.theory_rules import rules_harmony, rules_key, rules_range, rules_rhythm, rules_voice  # noqa: F401


def rule_ids() -> tuple[str, ...]:
    """Every registered rule id, by category then id."""
    _load_rules()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return tuple(sorted(_REGISTRY, key=lambda r: (order[_REGISTRY[r].category], r)))


def rule_class(rule_id: str) -> type[Rule]:
    """The class registered under ``rule_id``.

    Raises
    ------
    ConfigError
        Unknown id; the message lists the known ones.
    """
    _load_rules()
    try:
        return _REGISTRY[rule_id]
    except KeyError:
        raise ConfigError(f"unknown rule {rule_id!r}; known rules: {', '.join(rule_ids())}") from None


def get_rule(rule_id: str, *, severity: str | None = None, **params: Any) -> Rule:
    """An instance of the rule ``rule_id`` with ``params`` changed from their defaults.

    >>> get_rule("spacing", max_semitones=19).params
    SpacingParams(max_semitones=19)
    """
    cls = rule_class(rule_id)
    return cls(_coerce_params(cls.Params, cls.Params(), params, rule_id=rule_id), severity=severity)


def all_rules() -> tuple[Rule, ...]:
    """One default instance of every registered rule."""
    return tuple(get_rule(r) for r in rule_ids())


def params_dict(params: Any) -> dict[str, Any]:
    """A rule's parameters as a JSON-friendly dict."""
    out = {}
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        if isinstance(v, Fraction):
            v = str(v)
        elif isinstance(v, tuple):
            v = [str(x) if isinstance(x, Fraction) else x for x in v]
        out[f.name] = v
    return out


def _coerce(value: Any, hint: Any, *, where: str) -> Any:
    """``value`` converted to the type ``hint`` names (strings from a command line included)."""
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ConfigError(f"{where}: {value!r} is not true or false")
        if isinstance(value, (bool, int)):
            return bool(value)
    elif hint is int:
        try:
            if isinstance(value, bool):
                raise ValueError
            out = int(value)
            if isinstance(value, float) and out != value:
                raise ValueError
            return out
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {value!r} is not a whole number") from None
    elif hint is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {value!r} is not a number") from None
    elif hint is Fraction:
        try:
            return Fraction(value) if not isinstance(value, float) else Fraction(value).limit_denominator(10080)
        except (TypeError, ValueError, ZeroDivisionError):
            raise ConfigError(f"{where}: {value!r} is not a number like 1/4") from None
    elif hint is str:
        return str(value)
    elif origin is tuple:
        (inner, *_rest) = typing.get_args(hint)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        try:
            return tuple(_coerce(v, inner, where=where) for v in value)
        except TypeError:
            raise ConfigError(f"{where}: {value!r} is not a list") from None
    elif origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return value
    raise ConfigError(f"{where}: cannot read {value!r}")


def _coerce_params(cls: type, base: Any, changes: Mapping[str, Any], *, rule_id: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    fixed = {}
    for key, value in changes.items():
        key = key.replace("-", "_")
        if key not in names:
            known = ", ".join(names) or "none"
            raise ConfigError(f"rule {rule_id!r} has no parameter {key!r}; its parameters: {known}")
        fixed[key] = _coerce(value, hints[key], where=f"rule {rule_id!r} parameter {key!r}")
    try:
        return dataclasses.replace(base, **fixed)
    except ValueError as exc:
        raise ConfigError(f"rule {rule_id!r}: {exc}") from None
