"""The planner: a prompt and tags become a :class:`Plan` (key, tempo, meter, sections with bars,
energy and chords, instrumentation) that a person can read and edit before composing.

The prompt is read by :mod:`~partita.symbolic.composer.prompt` (its words in
``lexicon.toml``); styles come from :mod:`partita.symbolic.arranger.library`; moods, Italian
tempo terms, ensemble presets, forms and progressions are data in ``planner.toml``
(:func:`~partita.symbolic.composer.vocab.vocabulary`). Every content word nothing knows is reported in
:attr:`Plan.unknown_words`, never dropped silently; every contradiction resolved is stated in
:attr:`Plan.notes`.

>>> p = plan("a calm waltz for string quartet in D minor", duration_s=40)
>>> p.key, p.mode, p.meter, [s.name for s in p.sections][:2]
('D', 'minor', (3, 4), ['intro', 'verse'])
>>> [part.instrument for part in p.instrumentation]
['violin', 'violin', 'viola', 'cello']
>>> Plan.from_dict(p.to_dict()) == p
True
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

from partita.errors import ConfigError
from partita.symbolic.composer.chords import TONICS, chord_root_quality, roman_to_chord
from partita.symbolic.composer.prompt import assign_roles, read_prompt
from partita.symbolic.composer.vocab import ensemble_name, vocabulary

__all__ = [
    "PLAN_SCHEMA_VERSION",
    "ROLES",
    "SECTION_NAMES",
    "Plan",
    "PlanPart",
    "PlanSection",
    "plan",
]

PLAN_SCHEMA_VERSION = 1
ROLES = ("melody", "inner", "bass", "accompaniment", "percussion")
SECTION_NAMES = ("intro", "verse", "pre-chorus", "chorus", "bridge", "break", "outro")
_KEY_RE = re.compile(r"\b([a-g])\s*(#|b|sharp|flat|♯|♭)?\s*(major|minor|maj|min|dorian|mixolydian)\b", re.I)


# ---------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True, slots=True)
class PlanPart:
    """One part of the instrumentation: ``id``, ``name``, catalog ``instrument`` id, ``role``
    (one of :data:`ROLES`)."""

    id: str
    name: str
    instrument: str
    role: str

    def __post_init__(self) -> None:
        from partita import instruments

        if self.role not in ROLES:
            raise ConfigError(f"role {self.role!r} of part {self.name!r} is not one of {', '.join(ROLES)}")
        instruments.get(self.instrument)  # InstrumentError for an unknown id


@dataclass(frozen=True, slots=True)
class PlanSection:
    """One section: ``name`` (see :data:`SECTION_NAMES`), ``bars``, ``energy`` in 0-1 and one
    chord symbol per bar (``"Dm"``, ``"A7"``, ``"Bb"``)."""

    name: str
    bars: int
    energy: float
    chords: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "chords", tuple(self.chords))
        object.__setattr__(self, "energy", float(self.energy))
        if self.name not in SECTION_NAMES:
            raise ConfigError(f"section {self.name!r} is not one of {', '.join(SECTION_NAMES)}")
        if not (isinstance(self.bars, int) and self.bars >= 1):
            raise ConfigError(f"section {self.name!r} has {self.bars!r} bars; it needs at least 1")
        if not 0.0 <= self.energy <= 1.0:
            raise ConfigError(f"section {self.name!r} energy {self.energy} is outside 0-1")
        if len(self.chords) != self.bars:
            raise ConfigError(f"section {self.name!r} has {self.bars} bars but {len(self.chords)} chords")
        for c in self.chords:
            chord_root_quality(c)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to compose, before any note is written.

    Parameters
    ----------
    prompt
        The words it was made from.
    key, mode
        Tonic name (``"D"``, ``"Bb"``) and ``"major"`` or ``"minor"``.
    tempo_bpm
        Quarter notes per minute.
    meter
        ``(numerator, denominator)``.
    sections
        The section map, in order.
    instrumentation
        The parts, top to bottom.
    genre, moods
        What the prompt was read as.
    unknown_words
        Prompt and tag words the vocabulary does not know (reported, not used).
    seed
        The seed the choices were drawn with.
    notes
        How contradictions and unplayable instruments in the prompt were resolved (the rules
        of :mod:`~partita.symbolic.composer.prompt`), one line each.
    swing
        Eighths are swung (the style says so); the score is marked "Swing".
    """

    prompt: str
    key: str
    mode: str
    tempo_bpm: float
    meter: tuple[int, int]
    sections: tuple[PlanSection, ...]
    instrumentation: tuple[PlanPart, ...]
    genre: str = "classical"
    moods: tuple[str, ...] = ()
    unknown_words: tuple[str, ...] = ()
    seed: int = 0
    schema_version: int = PLAN_SCHEMA_VERSION
    notes: tuple[str, ...] = ()
    swing: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "notes", tuple(self.notes))
        set_(self, "swing", bool(self.swing))
        set_(self, "meter", (int(self.meter[0]), int(self.meter[1])))
        set_(self, "sections", tuple(self.sections))
        set_(self, "instrumentation", tuple(self.instrumentation))
        set_(self, "moods", tuple(self.moods))
        set_(self, "unknown_words", tuple(self.unknown_words))
        set_(self, "tempo_bpm", float(self.tempo_bpm))
        if self.schema_version != PLAN_SCHEMA_VERSION:
            raise ConfigError(f"plan schema {self.schema_version!r}; this partita reads {PLAN_SCHEMA_VERSION}")
        if self.key.lower() not in TONICS:
            raise ConfigError(f"key tonic {self.key!r} is not a pitch name like 'D' or 'Bb'")
        if self.mode not in ("major", "minor"):
            raise ConfigError(f"mode {self.mode!r} is not major or minor")
        if not 20.0 <= self.tempo_bpm <= 300.0:
            raise ConfigError(f"tempo {self.tempo_bpm} bpm is outside 20-300")
        from partita.symbolic.tokens import Tokenizer

        if not Tokenizer.default().config.meter_supported(*self.meter):
            raise ConfigError(f"meter {self.meter[0]}/{self.meter[1]} is not supported")
        if not self.sections:
            raise ConfigError("a plan needs at least one section")
        if not self.instrumentation:
            raise ConfigError("a plan needs at least one part")
        ids = [p.id for p in self.instrumentation]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"part ids repeat in the instrumentation: {ids}")

    # -- derived -----------------------------------------------------------------------------

    @property
    def tonic_pc(self) -> int:
        """Pitch class of the tonic, 0-11."""
        return TONICS[self.key.lower()]

    @property
    def n_bars(self) -> int:
        """Bars in all sections."""
        return sum(s.bars for s in self.sections)

    @property
    def bar_ql(self) -> Fraction:
        """Length of one bar in quarter-lengths."""
        return Fraction(4 * self.meter[0], self.meter[1])

    @property
    def duration_s(self) -> float:
        """Length of the whole plan in seconds at its tempo."""
        return float(self.n_bars * self.bar_ql) * 60.0 / self.tempo_bpm

    def bar_chords(self) -> tuple[str, ...]:
        """The chord of every bar, in order."""
        return tuple(c for s in self.sections for c in s.chords)

    def key_signature(self) -> Any:
        """The :class:`~partita.symbolic.pitch.KeySignature` of the plan's key at onset 0."""
        from partita.symbolic.pitch import KeySignature

        major_pc = (self.tonic_pc + (3 if self.mode == "minor" else 0)) % 12
        fifths = (major_pc * 7) % 12
        if fifths > 6 or (fifths == 6 and "b" in self.key):
            fifths -= 12
        if fifths == 5 and "b" in self.key:  # Cb/Ab minor spelt with flats
            fifths = -7
        return KeySignature(0, fifths, self.mode)

    # -- JSON ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict; :meth:`from_dict` inverts it."""
        return {
            "schema_version": self.schema_version,
            "prompt": self.prompt,
            "key": self.key,
            "mode": self.mode,
            "tempo_bpm": self.tempo_bpm,
            "meter": list(self.meter),
            "sections": [
                {"name": s.name, "bars": s.bars, "energy": s.energy, "chords": list(s.chords)}
                for s in self.sections
            ],
            "instrumentation": [dataclasses.asdict(p) for p in self.instrumentation],
            "genre": self.genre,
            "moods": list(self.moods),
            "unknown_words": list(self.unknown_words),
            "seed": self.seed,
            "notes": list(self.notes),
            "swing": self.swing,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """Inverse of :meth:`to_dict`; a malformed dict raises ConfigError."""
        try:
            return cls(
                prompt=str(data.get("prompt", "")),
                key=data["key"],
                mode=data["mode"],
                tempo_bpm=data["tempo_bpm"],
                meter=tuple(data["meter"]),
                sections=tuple(
                    PlanSection(s["name"], int(s["bars"]), s["energy"], tuple(s["chords"]))
                    for s in data["sections"]
                ),
                instrumentation=tuple(PlanPart(**p) for p in data["instrumentation"]),
                genre=data.get("genre", "classical"),
                moods=tuple(data.get("moods", ())),
                unknown_words=tuple(data.get("unknown_words", ())),
                seed=int(data.get("seed", 0)),
                schema_version=int(data.get("schema_version", PLAN_SCHEMA_VERSION)),
                notes=tuple(data.get("notes", ())),
                swing=bool(data.get("swing", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"not a partita plan: {type(exc).__name__}: {exc}") from None

    def describe(self) -> str:
        """The plan as a few lines of text (what ``partita plan`` prints)."""
        lines = [
            f"key {self.key} {self.mode}, {self.tempo_bpm:g} bpm, {self.meter[0]}/{self.meter[1]}, "
            f"{self.n_bars} bars, {self.duration_s:.1f} s; style {self.genre}" + (", swing" if self.swing else "")
            + (f", moods {', '.join(self.moods)}" if self.moods else ""),
            "parts: " + "; ".join(f"{p.name} ({p.instrument}, {p.role})" for p in self.instrumentation),
        ]
        bar = 1
        for s in self.sections:
            lines.append(f"  bars {bar}-{bar + s.bars - 1}: {s.name}, energy {s.energy:.2f}: {' '.join(s.chords)}")
            bar += s.bars
        if self.unknown_words:
            lines.append("unknown words (not used): " + ", ".join(self.unknown_words))
        for note in self.notes:
            lines.append("rule applied: " + note)
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Reading the prompt


def _energy_round(x: float) -> float:
    return round(min(1.0, max(0.0, x)), 3)


def _section_bars(weights: Sequence[int], total: int) -> list[int]:
    """Whole-bar lengths proportional to ``weights`` adding up to ``total`` (even where it can)."""
    s = sum(weights)
    raw = [w * total / s for w in weights]
    bars = [max(1, int(2 * round(r / 2))) if total >= 2 * len(weights) else max(1, round(r)) for r in raw]
    # fix the sum: add or remove bars from the longest (or most under-served) sections
    order = sorted(range(len(bars)), key=lambda i: -weights[i])
    i = 0
    while sum(bars) != total and i < 10 * total + 10:
        j = order[i % len(order)]
        if sum(bars) < total:
            bars[j] += 1
        elif bars[j] > 1:
            bars[j] -= 1
        i += 1
    if sum(bars) != total:  # more sections than bars: drop from the end
        while sum(bars) > total and len(bars) > 1:
            bars.pop()
    return bars


def plan(
    prompt: str = "",
    *,
    tags: Sequence[str] = (),
    duration_s: float | None = None,
    key: str | None = None,
    tempo: float | None = None,
    meter: str | tuple[int, int] | None = None,
    ensemble: str | None = None,
    seed: int = 0,
) -> Plan:
    """Read a prompt and tags into a :class:`Plan`.

    Explicit arguments win over words in the prompt, which win over the genre's and the
    vocabulary's defaults. The prompt may itself name a key (``"in D minor"``), a meter
    (``"3/4"``), a tempo (``"90 bpm"``) and a length (``"2 minutes"``, ``"45 s"``).

    Parameters
    ----------
    prompt
        Free text; may be empty (a plan of defaults).
    tags
        Extra words or phrases, read like the prompt.
    duration_s
        Length in seconds (default: from the prompt, else 60 s). The section map adds up to
        it within one bar.
    key
        ``"D minor"``, ``"Bb major"``, ``"F#"`` (major).
    tempo
        Quarter notes per minute.
    meter
        ``"6/8"`` or ``(6, 8)``.
    ensemble
        A preset name of :func:`~partita.symbolic.composer.vocab.ensembles` (``"string_quartet"`` or ``"string quartet"``).
    seed
        Picks among equally good options (tonic, progressions); same seed, same plan.

    Returns
    -------
    Plan

    Raises
    ------
    ConfigError
        An unknown ensemble (the known ones listed), an unreadable key, meter or tempo.

    Examples
    --------
    >>> p = plan("energetic pop song", duration_s=210)
    >>> [s.name for s in p.sections]
    ['intro', 'verse', 'pre-chorus', 'chorus', 'verse', 'pre-chorus', 'chorus', 'bridge', 'chorus', 'outro']
    >>> abs(p.duration_s - 210) <= float(p.bar_ql) * 60 / p.tempo_bpm
    True
    """
    from partita.symbolic.arranger.library import style as get_style

    voc = vocabulary()
    rng = random.Random(seed)
    text = " ".join([prompt, *tags])
    r = read_prompt(text)
    notes = list(r.notes)
    genre = r.style or voc["defaults"]["genre"]
    st = get_style(genre)
    moods = r.moods

    # ensemble: the argument, else exactly the named instruments, else the style's (or the
    # defaults') ensemble, less what the prompt negated
    if ensemble is not None:
        parts = _preset_parts(ensemble_name(ensemble))
    elif r.preset is not None:
        parts = _preset_parts(r.preset)
    elif r.instruments and r.style is not None and st.arrange and _only_voices(r.instruments):
        # voices named with a band style: they sing the melody over the style's ensemble
        rows = tuple(r.instruments) + tuple((i, role) for i, role in st.ensemble if role != "melody")
        rows = tuple((i, role) for i, role in rows if i not in r.excluded)
        notes.append(f"instruments: the voices named sing the melody over the {genre} ensemble")
        parts = _named_parts(rows)
    elif r.instruments:
        parts = _named_parts(r.instruments)
    elif r.style is not None:
        parts = _named_parts(tuple(st.ensemble))
    else:
        parts = _preset_parts(voc["defaults"]["ensemble"])
    if r.excluded and ensemble is None:
        kept = tuple(p for p in parts if p.instrument not in r.excluded)
        if kept != parts and not r.instruments:
            gone = sorted({p.instrument for p in parts} - {p.instrument for p in kept})
            notes.append(f"instruments: {', '.join(gone)} left out of the {'style' if r.style else 'default'} ensemble")
        if not kept:
            notes.append("instruments: nothing would be left to play; a piano plays")
            kept = (PlanPart("pno", "Piano", "piano", "melody"),)
        if kept != parts:
            parts = _named_parts(tuple((p.instrument, "") for p in kept))

    # key and mode
    mode = None
    tonic = None
    if key is not None:
        km = _KEY_RE.search(key.lower()) or re.fullmatch(r"\s*([a-g])\s*(#|b|♯|♭)?\s*()", key.lower())
        if not km:
            raise ConfigError(f"key {key!r} is not like 'D minor', 'Bb major' or 'F#'")
        tonic, mode = _tonic_mode(km)
    else:
        tonic, mode = r.key, r.mode
    if mode is None:
        votes = [voc["moods"][m]["mode"] for m in moods]
        mode = max(set(votes), key=votes.count) if votes else voc["defaults"]["mode"]
        if votes and votes.count("major") == votes.count("minor"):
            mode = votes[0]
    if tonic is None:
        from partita.symbolic.composer.priors import style_tonics

        drawn = style_tonics(genre, mode)  # the style's own keys, by their shares in its corpus
        if drawn is not None:
            tonic = rng.choices(drawn[0], weights=drawn[1])[0]
        else:
            choices = ["C", "D", "Eb", "F", "G", "A", "Bb"] if mode == "major" else ["A", "D", "E", "G", "C", "B"]
            tonic = rng.choice(choices)

    # meter
    if meter is not None:
        met = _parse_meter(meter)
    elif r.meter is not None:
        met = r.meter
    elif r.style is not None:
        met = st.meter
    else:
        met = tuple(voc["defaults"]["meter"])

    # tempo
    if tempo is not None:
        bpm = float(tempo)
    elif r.tempo_bpm is not None:
        bpm = r.tempo_bpm
    elif r.tempo_word is not None:
        bpm = float(voc["tempo_words"][r.tempo_word])
    else:
        lo, hi = st.tempo if r.style is not None else (voc["defaults"]["tempo_bpm"],) * 2
        if r.relative_tempo is not None:
            lo, hi = (st.tempo if r.style is not None else (70.0, 140.0))
            bpm = lo + r.relative_tempo * (hi - lo)
        else:
            bpm = (lo + hi) / 2
            for m in moods:
                bpm *= voc["moods"][m].get("tempo_scale", 1.0)
        bpm = float(round(bpm))
    if not (isinstance(bpm, float) and math.isfinite(bpm) and 20.0 <= bpm <= 300.0):
        raise ConfigError(f"tempo {bpm} bpm is outside 20-300")

    # duration and form
    if duration_s is None:
        duration_s = r.duration_s
    if duration_s is None:
        duration_s = float(voc["defaults"]["duration_s"])
    if not (math.isfinite(duration_s) and 0 < duration_s <= 3600):
        raise ConfigError(f"duration {duration_s} s is outside 0-3600")
    bar_ql = Fraction(4 * met[0], met[1])
    bar_s = float(bar_ql) * 60.0 / bpm
    total = max(1, round(duration_s / bar_s))
    form = next(f for f in voc["forms"] if total >= f["min_bars"])
    names = [s[0] for s in form["sections"]]
    bars = _section_bars([s[1] for s in form["sections"]], total)
    names = names[: len(bars)]
    if st.phrase > 1 and r.style is not None:  # whole phrases (12-bar blues choruses)
        bars = [b if n in ("intro", "outro") else max(1, round(b / st.phrase)) * st.phrase for n, b in zip(names, bars)]
        if abs(sum(bars) - total) >= 1:
            notes.append(f"form: {genre} sections last whole {st.phrase}-bar phrases; "
                         f"{sum(bars)} bars instead of {total}")
    shift = sum(voc["moods"][m].get("energy_shift", 0.0) for m in moods)

    # progressions: one option per section name, reused when the name comes back
    table = voc["progressions"][st.progressions][mode]
    chosen = {n: rng.choice(table.get(n, table["verse"])) for n in dict.fromkeys(names)}
    sections = []
    for i, (name, n_bars) in enumerate(zip(names, bars)):
        prog = chosen[name]
        chords = [roman_to_chord(prog[b % len(prog)], key=tonic, mode=mode) for b in range(n_bars)]
        if i == len(names) - 1:  # end on the tonic, after a dominant where there is room
            chords[-1] = roman_to_chord("i" if mode == "minor" else "I", key=tonic, mode=mode)
            if n_bars >= 2:
                chords[-2] = roman_to_chord("V", key=tonic, mode=mode)
        energy = _energy_round(form["sections"][i][2] + shift)
        sections.append(PlanSection(name, n_bars, energy, tuple(chords)))

    return Plan(
        prompt=prompt,
        key=tonic,
        mode=mode,
        tempo_bpm=bpm,
        meter=met,
        sections=tuple(sections),
        instrumentation=parts,
        genre=genre,
        moods=moods,
        unknown_words=r.unknown,
        seed=seed,
        notes=tuple(notes),
        swing=st.swing and met[1] == 4,
    )


def _only_voices(rows: Sequence[tuple[str, str]]) -> bool:
    from partita import instruments as cat

    return all(cat.get(i).family == "voice" for i, _ in rows) and not any(role for _, role in rows)


def _preset_parts(name: str) -> tuple[PlanPart, ...]:
    return tuple(PlanPart(*p) for p in vocabulary()["ensembles"][name]["parts"])


_ROMAN_NUMS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def _named_parts(rows: tuple[tuple[str, str], ...]) -> tuple[PlanPart, ...]:
    """Plan parts for ``(instrument, role or "")`` rows: roles by
    :func:`~partita.symbolic.composer.prompt.assign_roles`, names from the catalog (numbered
    "Violin I", "Violin II" where an instrument comes more than once), unique ids."""
    from partita import instruments as cat

    roles = assign_roles(list(rows))
    total = {i: sum(1 for j, _ in rows if j == i) for i, _ in rows}
    seen: dict[str, int] = {}
    ids: set[str] = set()
    out = []
    for (inst, _), role in zip(rows, roles):
        entry = cat.get(inst)
        seen[inst] = seen.get(inst, 0) + 1
        name = entry.name + (f" {_ROMAN_NUMS[seen[inst] - 1]}" if total[inst] > 1 and seen[inst] <= 8 else "")
        base = re.sub(r"[^a-z0-9]", "", entry.abbreviation.lower()) or inst[:4]
        pid = base + (str(seen[inst]) if total[inst] > 1 else "")
        while pid in ids:
            pid += "x"
        ids.add(pid)
        out.append(PlanPart(pid, name, inst, role))
    return tuple(out)


def _tonic_mode(m: re.Match[str]) -> tuple[str, str | None]:
    letter = m.group(1).upper()
    acc = (m.group(2) or "").lower()
    acc = {"#": "#", "♯": "#", "sharp": "#", "b": "b", "♭": "b", "flat": "b"}.get(acc, "")
    mode_word = (m.group(3) or "").lower()
    mode = {"major": "major", "maj": "major", "minor": "minor", "min": "minor",
            "dorian": "minor", "mixolydian": "major", "": None}[mode_word]  # fmt: skip
    tonic = letter + acc
    if tonic.lower() not in TONICS:
        raise ConfigError(f"key tonic {tonic!r} is not understood")
    return tonic, mode if mode_word else None


def _parse_meter(meter: str | tuple[int, int]) -> tuple[int, int]:
    if isinstance(meter, str):
        m = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*", meter)
        if not m:
            raise ConfigError(f"meter {meter!r} is not like '3/4' or '6/8'")
        return int(m.group(1)), int(m.group(2))
    try:
        return int(meter[0]), int(meter[1])
    except (TypeError, ValueError, IndexError):
        raise ConfigError(f"meter {meter!r} is not a (numerator, denominator) pair") from None
