"""The style and pattern library: ``styles.toml`` and ``patterns.toml`` as typed, frozen data.

A :class:`Style` says what a style word in a prompt sets (meter, tempo range, swing, default
ensemble, progression family, the instrument behind the ambiguous words "bass", "guitar",
"keys", "vocals") and which patterns the arranger plays for each role at low and high section
energy. A :class:`Pattern` is one bar of one role on a grid of sixteenths.

>>> s = style("bossa_nova")
>>> s.meter, s.swing, s.bass
((4, 4), False, 'acoustic_bass')
>>> pattern("bass", "bossa").events[:2]
((0, 6, 'R'), (6, 2, '5'))
>>> len(styles()) >= 40
True
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

from partita._presets import Entry, table
from partita.errors import ConfigError

__all__ = ["DRUM_KEYS", "Pattern", "Style", "pattern", "patterns", "style", "styles", "style_for_words"]

ROLES_WITH_PATTERNS = ("bass", "comp", "strum", "pad", "drums")


@dataclass(frozen=True, slots=True)
class Pattern:
    """One bar of a role: ``events`` ``(step, length, what)`` on a sixteenth grid (length 0: to
    the bar's end), or ``lines`` (drums: kit piece -> one character per step), ``walk`` (a
    walking bass built per bar). ``meter`` is ``(numerator, denominator)`` or None (any)."""

    kind: str
    name: str
    meter: tuple[int, int] | None
    events: tuple[tuple[int, int, str], ...] = ()
    lines: tuple[tuple[str, str], ...] = ()
    walk: bool = False

    @property
    def steps(self) -> int | None:
        """Sixteenths in one bar of its meter (None: any meter)."""
        return None if self.meter is None else 16 * self.meter[0] // self.meter[1]


@dataclass(frozen=True, slots=True)
class Style:
    """One entry of ``styles.toml`` (see the comments at its top for every key)."""

    name: str
    words: tuple[str, ...]
    meter: tuple[int, int]
    tempo: tuple[float, float]
    swing: bool
    arrange: bool
    profile: str
    progressions: str
    ensemble: tuple[tuple[str, str], ...]
    bass: str
    guitar: str
    keys: str
    voice: str
    voice_female: str
    voice_male: str
    horns: tuple[str, ...]
    patterns: Mapping[str, Mapping[str, tuple[str, ...]]]
    fills: tuple[str, ...]
    lock_kick: bool
    phrase: int = 1

    @property
    def tempo_bpm(self) -> float:
        """The middle of the tempo range."""
        return float(round((self.tempo[0] + self.tempo[1]) / 2))

    def choices(self, role: str, energy: float) -> tuple[str, ...]:
        """Pattern names for ``role`` (bass, comp, strum, pad, drums) at a section ``energy``."""
        table = self.patterns.get(role, {})
        return tuple(table.get("high" if energy >= 0.6 else "low", ()))


def _read(name: str) -> dict[str, Any]:
    text = resources.files("partita.symbolic.arranger").joinpath(name).read_text("utf-8")
    return tomllib.loads(text)


@functools.lru_cache(maxsize=1)
def _kit() -> Mapping[str, int]:
    e = Entry("patterns.toml", "kit", table(_read("patterns.toml"), "kit", file="patterns.toml"))
    return MappingProxyType({piece: e.number(piece, 35, 81, integer=True) for piece in e.data})


#: Kit pieces of the drum patterns -> General MIDI percussion keys (``patterns.toml`` [kit]).
DRUM_KEYS: Mapping[str, int] = _kit()


def _meter(text: str) -> tuple[int, int] | None:
    if text == "any":
        return None
    a, b = text.split("/")
    return int(a), int(b)


@functools.lru_cache(maxsize=1)
def patterns() -> Mapping[str, Mapping[str, Pattern]]:
    """Every pattern of ``patterns.toml``: kind (bass, comp, strum, pad, drums, fill) -> name ->
    :class:`Pattern`."""
    data = _read("patterns.toml")
    out: dict[str, dict[str, Pattern]] = {}
    for kind, entries in data.items():
        if kind == "kit":
            continue
        out[kind] = {}
        for name, entry in entries.items():
            meter = _meter(entry.get("meter", "any"))
            events = tuple((int(s), int(n), str(w)) for s, n, w in entry.get("events", ()))
            lines = tuple(sorted((str(k), str(v)) for k, v in entry.get("lines", {}).items()))
            for piece, _ in lines:
                if piece not in DRUM_KEYS:
                    raise ConfigError(f"patterns.toml: {kind}.{name} names an unknown kit piece {piece!r}")
            p = Pattern(kind, name, meter, events, lines, bool(entry.get("walk", False)))
            if p.steps is not None:
                bad = [e for e in events if not (0 <= e[0] < p.steps and e[0] + e[1] <= p.steps)]
                bad += [(k, v) for k, v in lines if kind == "drums" and len(v) != p.steps]
                if bad:
                    raise ConfigError(f"patterns.toml: {kind}.{name} does not fit a bar of {entry['meter']}: {bad[0]}")
            out[kind][name] = p
    return out


def pattern(kind: str, name: str) -> Pattern:
    """The pattern ``kind``.``name``; an unknown one raises ConfigError."""
    try:
        return patterns()[kind][name]
    except KeyError:
        raise ConfigError(f"no {kind} pattern {name!r} in patterns.toml") from None


@functools.lru_cache(maxsize=1)
def _styles() -> tuple[Mapping[str, Style], Mapping[str, Any]]:
    data = _read("styles.toml")
    d = data["defaults"]
    out: dict[str, Style] = {}
    for name, e in data["styles"].items():
        key = {"drums": "drum_patterns"}
        pats = {role: {lvl: tuple(e.get(key.get(role, f"{role}_patterns"), {}).get(lvl, ())) for lvl in ("low", "high")}
                for role in ROLES_WITH_PATTERNS}  # fmt: skip
        missing = [r for r in ROLES_WITH_PATTERNS if not any(pats[r].values())]
        if missing:
            raise ConfigError(f"styles.toml: style {name!r} has no patterns for {', '.join(missing)}")
        for role, levels in pats.items():
            for names in levels.values():
                for n in names:
                    pattern("pad" if role == "pad" else role, n)  # every name must exist
        s = Style(
            name=name, words=tuple(e["words"]), meter=(int(e["meter"][0]), int(e["meter"][1])),
            tempo=(float(e["tempo"][0]), float(e["tempo"][1])), swing=bool(e["swing"]), arrange=bool(e["arrange"]),
            profile=str(e["profile"]), progressions=str(e["progressions"]),
            ensemble=tuple((str(i), str(r)) for i, r in e["ensemble"]),
            bass=e.get("bass", d["bass"]), guitar=e.get("guitar", d["guitar"]), keys=e.get("keys", d["keys"]),
            voice=e.get("voice", d["voice"]), voice_female=e.get("voice_female", d["voice_female"]),
            voice_male=e.get("voice_male", d["voice_male"]), horns=tuple(e.get("horns", d["horns"])),
            patterns=pats, fills=tuple(e.get("fills", d["fills"])), lock_kick=bool(e.get("lock_kick", False)),
            phrase=int(e.get("phrase", 1)),
        )  # fmt: skip
        for f in s.fills:
            pattern("fill", f)
        out[name] = s
    return out, d


def styles() -> Mapping[str, Style]:
    """Every style of ``styles.toml`` by name."""
    return _styles()[0]


def style(name: str) -> Style:
    """The style ``name`` (an unknown one raises ConfigError naming the known ones)."""
    table = styles()
    if name not in table:
        raise ConfigError(f"unknown style {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def style_for_words() -> dict[str, str]:
    """Every style phrase -> style name (a phrase names one style only)."""
    out: dict[str, str] = {}
    for name, s in styles().items():
        for w in s.words:
            if out.setdefault(w.lower(), name) != name:
                raise ConfigError(f"styles.toml: {w!r} names both {out[w.lower()]!r} and {name!r}")
    return out
