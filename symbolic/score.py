"""The Score model: what every stage of partita passes along.

Beats are the truth: onsets and durations are quarter-lengths held as :class:`~fractions.Fraction`
(a triplet eighth is exactly ``Fraction(1, 3)``). Seconds exist only through the :class:`TempoMap`.
Pitches are *sounding* MIDI numbers; a transposing instrument's written pitch is worked out by
the readers and writers from the instrument catalog.

Every type is a frozen dataclass; an edit makes a new object (``dataclasses.replace`` or the
helpers below) and construction validates, raising :class:`~partita.errors.ScoreError` with
the part and position of the problem.

>>> from fractions import Fraction
>>> n = Note(onset=0, duration=Fraction(1, 3), pitch=60)
>>> part = Part(id="vn1", name="Violin I", instrument="violin", notes=(n,))
>>> score = Score(title="Sketch", parts=(part,))
>>> score.bar_of(Fraction(5))
BarPosition(bar=2, beat=Fraction(2, 1))
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

from partita.errors import InstrumentError, ScoreError
from partita.symbolic.form import FormMark, PlayMark
from partita.symbolic.notation import ClefChange, CrossStaff, OctaveLine
from partita.symbolic.ornaments import GraceNote, Ornament
from partita.symbolic.verses import Syllable
from partita.symbolic.report import Dropped, merge_drops

__all__ = [
    "ARTICULATIONS",
    "DYNAMIC_MARKS",
    "DYNAMIC_VELOCITY",
    "BarPosition",
    "ChordSymbol",
    "Dynamic",
    "Hairpin",
    "KeySignature",
    "Note",
    "Part",
    "Score",
    "Section",
    "TempoMap",
    "TempoMark",
    "TimeSignature",
    "as_ql",
    "pitch_from_spelling",
    "spell_pitch",
]

#: Articulations a note can carry; they map one to one onto MusicXML's and music21's.
ARTICULATIONS = frozenset({"staccato", "staccatissimo", "tenuto", "accent", "marcato", "fermata"})

#: Dynamic marks the model knows, and the MIDI velocity each one means when a note has none of
#: its own (the values MuseScore 3 uses for its dynamics).
DYNAMIC_VELOCITY: Mapping[str, int] = MappingProxyType(
    {
        "pppp": 10, "ppp": 16, "pp": 33, "p": 49, "mp": 64, "mf": 80, "f": 96, "ff": 112,
        "fff": 126, "ffff": 127, "sf": 112, "sfz": 112, "sff": 126, "sffz": 126, "fp": 96,
        "rf": 112, "rfz": 112, "fz": 112,
    }
)  # fmt: skip
DYNAMIC_MARKS = frozenset(DYNAMIC_VELOCITY)
#: Velocity of a note with no velocity of its own and no dynamic mark before it.
DEFAULT_VELOCITY = 80

TIE_OR_SLUR_STATES = frozenset({"start", "continue", "stop"})
HAIRPIN_KINDS = frozenset({"crescendo", "diminuendo"})
MODES = frozenset(
    {"major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian", "ionian"}
)
MIN_BPM, MAX_BPM = 5.0, 1000.0
#: Largest denominator a quarter-length may have: 10080 = 2^5 * 3^2 * 5 * 7 holds every
#: tuplet a score writes (music21 uses the same number for MusicXML divisions).
MAX_DENOMINATOR = 10080


def as_ql(value: Fraction | int | float | str, *, what: str = "quarter-length") -> Fraction:
    """Return ``value`` as an exact quarter-length Fraction.

    Floats are snapped to the nearest fraction with denominator at most 10080, so
    ``0.3333333333`` becomes ``Fraction(1, 3)``.

    >>> as_ql(0.3333333333333333)
    Fraction(1, 3)
    >>> as_ql("3/2")
    Fraction(3, 2)
    """
    if isinstance(value, Fraction):
        out = value
    elif isinstance(value, bool):
        raise ScoreError(f"{what} must be a number, not a bool")
    elif isinstance(value, int):
        out = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ScoreError(f"{what} must be finite, got {value}")
        out = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    elif isinstance(value, str):
        try:
            out = Fraction(value)
        except ValueError:
            raise ScoreError(f"{what} {value!r} is not a number") from None
    else:
        # numpy scalars and the like
        try:
            return as_ql(float(value), what=what)
        except (TypeError, ValueError):
            raise ScoreError(f"{what} {value!r} is not a number") from None
    if out.denominator > MAX_DENOMINATOR:
        out = out.limit_denominator(MAX_DENOMINATOR)
    return out


# ---------------------------------------------------------------------------------------------
# Pitch spelling

_STEP_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SPELLING_RE = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2}|x|♯|♭|𝄪|𝄫)?(-?\d+)$")
_ALTER = {None: 0, "#": 1, "##": 2, "x": 2, "♯": 1, "𝄪": 2, "b": -1, "bb": -2, "♭": -1, "𝄫": -2}  # fmt: skip
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


def pitch_from_spelling(spelling: str) -> int:
    """MIDI number of a spelled pitch, scientific octave (``C4`` = 60).

    Accepts ``#``/``b``, doubled, and the Unicode signs. A ``-`` belongs to the octave
    (``C-1`` is MIDI 0), not to the accidental as in music21's names.

    >>> pitch_from_spelling("Bb3"), pitch_from_spelling("B#3"), pitch_from_spelling("C-1")
    (58, 60, 0)
    """
    m = _SPELLING_RE.match(spelling.strip())
    if not m:
        raise ScoreError(f"pitch spelling {spelling!r} is not like 'C#4' or 'Bb3'")
    step, acc, octave = m.group(1).upper(), m.group(2), int(m.group(3))
    return 12 * (octave + 1) + _STEP_PC[step] + _ALTER[acc]


def spell_pitch(pitch: int, *, fifths: int = 0) -> str:
    """Default spelling of a MIDI pitch: sharps in sharp keys and C, flats in flat keys.

    >>> spell_pitch(61), spell_pitch(61, fifths=-3)
    ('C#4', 'Db4')
    """
    names = _FLAT_NAMES if fifths < 0 else _SHARP_NAMES
    return f"{names[pitch % 12]}{pitch // 12 - 1}"


def _normalise_spelling(spelling: str) -> str:
    """``'c♭4'`` -> ``'Cb4'``: one canonical way to write a spelling."""
    m = _SPELLING_RE.match(spelling.strip())
    if not m:
        raise ScoreError(f"pitch spelling {spelling!r} is not like 'C#4' or 'Bb3'")
    alter = _ALTER[m.group(2)]
    acc = {0: "", 1: "#", 2: "##", -1: "b", -2: "bb"}[alter]
    return f"{m.group(1).upper()}{acc}{int(m.group(3))}"


# ---------------------------------------------------------------------------------------------
# Notes and parts


@dataclass(frozen=True, slots=True)
class Note:
    """One sounding note.

    Parameters
    ----------
    onset, duration
        Quarter-lengths from the start of the score (Fraction; ints, floats and ``"1/3"``
        strings are converted). ``duration > 0``.
    pitch
        Sounding MIDI pitch, 0-127.
    spelling
        Spelled sounding pitch (``"Db4"``); must agree with ``pitch``. ``None``: not known.
    velocity
        MIDI velocity 1-127 of this note, or ``None`` to take it from the part's dynamic marks
        (see :meth:`Part.velocity_of`).
    articulations
        A subset of :data:`ARTICULATIONS`.
    tie, slur
        ``"start"``, ``"continue"``, ``"stop"`` or ``None``. A tie joins this note to the next
        note of the same pitch and voice; a slur groups the notes of one voice from its start
        to its stop (legato).
    voice
        Voice number within the part, from 1.
    lyric
        The syllable sung on this note.
    vibrato_depth_cents, vibrato_rate_hz, brightness
        Expression overrides for the performer (``None``: the instrument's default).
        Depth 0-200 cents, rate 0-20 Hz, brightness 0-1.
    """

    onset: Fraction
    duration: Fraction
    pitch: int
    spelling: str | None = None
    velocity: int | None = None
    articulations: frozenset[str] = frozenset()
    tie: str | None = None
    slur: str | None = None
    voice: int = 1
    lyric: str | None = None
    vibrato_depth_cents: float | None = None
    vibrato_rate_hz: float | None = None
    brightness: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        onset = as_ql(self.onset, what="onset")
        set_(self, "onset", onset)
        set_(self, "duration", as_ql(self.duration, what="duration"))
        if onset < 0:
            raise ScoreError(f"note onset {onset} is negative", onset=onset)
        if self.duration <= 0:
            raise ScoreError(f"note duration {self.duration} is not positive", onset=onset)
        if isinstance(self.pitch, bool) or not isinstance(self.pitch, int):
            try:
                pitch = int(self.pitch)
            except (TypeError, ValueError):
                raise ScoreError(f"pitch {self.pitch!r} is not a MIDI number", onset=onset) from None
            if pitch != self.pitch:
                raise ScoreError(f"pitch {self.pitch!r} is not a whole MIDI number", onset=onset)
            set_(self, "pitch", pitch)
        if not 0 <= self.pitch <= 127:
            raise ScoreError(f"pitch {self.pitch} is outside MIDI's 0-127", onset=onset)
        if self.spelling is not None:
            spelling = _normalise_spelling(self.spelling)
            if pitch_from_spelling(spelling) != self.pitch:
                raise ScoreError(
                    f"spelling {self.spelling!r} does not sound pitch {self.pitch}", onset=onset
                )
            set_(self, "spelling", spelling)
        if self.velocity is not None and not (
            isinstance(self.velocity, int) and 1 <= self.velocity <= 127
        ):
            raise ScoreError(f"velocity {self.velocity!r} is outside 1-127", onset=onset)
        arts = frozenset(self.articulations)
        unknown = arts - ARTICULATIONS
        if unknown:
            raise ScoreError(
                f"unknown articulation {sorted(unknown)[0]!r}; known: {', '.join(sorted(ARTICULATIONS))}",
                onset=onset,
            )
        set_(self, "articulations", arts)
        for name in ("tie", "slur"):
            value = getattr(self, name)
            if value is not None and value not in TIE_OR_SLUR_STATES:
                raise ScoreError(f"{name} {value!r} is not start, continue or stop", onset=onset)
        if not isinstance(self.voice, int) or self.voice < 1:
            raise ScoreError(f"voice {self.voice!r} must be a whole number from 1", onset=onset)
        for name, low, high in (
            ("vibrato_depth_cents", 0.0, 200.0),
            ("vibrato_rate_hz", 0.0, 20.0),
            ("brightness", 0.0, 1.0),
        ):
            value = getattr(self, name)
            if value is not None:
                value = float(value)
                if not (math.isfinite(value) and low <= value <= high):
                    raise ScoreError(f"{name} {value} is outside {low:g}-{high:g}", onset=onset)
                set_(self, name, value)

    @property
    def end(self) -> Fraction:
        """Onset plus duration, in quarter-lengths."""
        return self.onset + self.duration

    @property
    def name(self) -> str:
        """The spelling if known, else a default one (``C#4``)."""
        return self.spelling or spell_pitch(self.pitch)

    def transposed(self, semitones: int, *, fifths: int = 0) -> Note:
        """This note moved by ``semitones``, respelled for a key of ``fifths`` sharps."""
        pitch = self.pitch + semitones
        if not 0 <= pitch <= 127:
            raise ScoreError(
                f"transposing pitch {self.pitch} by {semitones} leaves MIDI's 0-127", onset=self.onset
            )
        spelling = None if self.spelling is None else spell_pitch(pitch, fifths=fifths)
        return dataclasses.replace(self, pitch=pitch, spelling=spelling)


@dataclass(frozen=True, slots=True)
class Dynamic:
    """A dynamic mark (``"pp"`` ... ``"ff"``, ``"sfz"``) at an onset in quarter-lengths."""

    onset: Fraction
    mark: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="dynamic onset"))
        if self.onset < 0:
            raise ScoreError(f"dynamic onset {self.onset} is negative", onset=self.onset)
        if self.mark not in DYNAMIC_MARKS:
            raise ScoreError(
                f"unknown dynamic {self.mark!r}; known: {', '.join(sorted(DYNAMIC_MARKS))}",
                onset=self.onset,
            )


@dataclass(frozen=True, slots=True)
class Hairpin:
    """A crescendo or diminuendo wedge from ``onset`` to ``end`` (quarter-lengths)."""

    onset: Fraction
    end: Fraction
    kind: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="hairpin start"))
        object.__setattr__(self, "end", as_ql(self.end, what="hairpin end"))
        if self.onset < 0 or self.end <= self.onset:
            raise ScoreError(f"hairpin {self.onset}-{self.end} is empty or negative", onset=self.onset)
        if self.kind not in HAIRPIN_KINDS:
            raise ScoreError(f"hairpin kind {self.kind!r} is not crescendo or diminuendo", onset=self.onset)


@dataclass(frozen=True, slots=True)
class Part:
    """One player's (or one section's) line of music.

    ``notes`` are kept sorted by (onset, voice, pitch); construction sorts them. Within one voice,
    notes that start together form a chord and must end together, and a note starts no earlier
    than the previous one in its voice ends. ``instrument`` is an id of the instrument catalog
    (:func:`partita.instruments.get`); use :func:`partita.instruments.lookup` to turn a name such
    as ``"Vln. I"`` into one.
    """

    id: str
    name: str
    instrument: str
    notes: tuple[Note, ...] = ()
    dynamics: tuple[Dynamic, ...] = ()
    hairpins: tuple[Hairpin, ...] = ()
    graces: tuple[GraceNote, ...] = ()
    ornaments: tuple[Ornament, ...] = ()
    #: syllables of the lyric verses other than the sung one (:mod:`partita.symbolic.verses`)
    verses: tuple[Syllable, ...] = ()
    #: the verse whose syllables are the notes' ``lyric``
    sung_verse: int = 1
    #: how the part is drawn (:mod:`partita.symbolic.notation`): octave lines, clef changes and
    #: cross-staff notes; the notes stay at sounding pitch and playback ignores these
    octave_lines: tuple[OctaveLine, ...] = ()
    clefs: tuple[ClefChange, ...] = ()
    cross_staff: tuple[CrossStaff, ...] = ()

    def __post_init__(self) -> None:
        from partita import instruments  # the catalog sits beside the data model, at the bottom

        if not isinstance(self.id, str) or not self.id:
            raise ScoreError("a part needs a non-empty string id", part=str(self.name))
        try:
            instruments.get(self.instrument)
        except InstrumentError as exc:  # say which part
            raise exc.located(part=self.name) from None
        notes = tuple(sorted(self.notes, key=lambda n: (n.onset, n.voice, n.pitch)))
        object.__setattr__(self, "notes", notes)
        object.__setattr__(self, "dynamics", tuple(sorted(self.dynamics, key=lambda d: d.onset)))
        object.__setattr__(self, "hairpins", tuple(sorted(self.hairpins, key=lambda h: h.onset)))
        object.__setattr__(self, "graces", tuple(sorted(self.graces, key=lambda g: (g.onset, g.voice, g.order, g.pitch))))
        for g in self.graces:
            if g.spelling is not None and pitch_from_spelling(g.spelling) != g.pitch:
                raise ScoreError(f"grace note spelling {g.spelling!r} does not sound {g.pitch}", part=self.name, onset=g.onset)
        object.__setattr__(self, "ornaments", tuple(sorted(self.ornaments, key=lambda o: (o.onset, o.voice, o.kind))))
        object.__setattr__(self, "verses", tuple(sorted(self.verses, key=lambda v: (v.verse, v.onset, v.voice))))
        object.__setattr__(self, "octave_lines", tuple(sorted(self.octave_lines, key=lambda o: (o.onset, o.staff, o.end))))
        object.__setattr__(self, "clefs", tuple(sorted(self.clefs, key=lambda c: (c.onset, c.staff))))
        object.__setattr__(self, "cross_staff", tuple(sorted(self.cross_staff, key=lambda c: (c.onset, c.voice, c.pitch))))
        if not isinstance(self.sung_verse, int) or isinstance(self.sung_verse, bool) or self.sung_verse < 1:
            raise ScoreError(f"sung verse {self.sung_verse!r} must be a whole number from 1", part=self.name)
        self._check_voices()

    def _check_voices(self) -> None:
        last: dict[int, Note] = {}
        for note in self.notes:
            prev = last.get(note.voice)
            if prev is not None:
                if note.onset == prev.onset:
                    if note.pitch == prev.pitch:
                        raise ScoreError(
                            f"pitch {note.pitch} is written twice at once in voice {note.voice}",
                            part=self.name, onset=note.onset,
                        )  # fmt: skip
                    if note.duration != prev.duration:
                        raise ScoreError(
                            f"chord notes in voice {note.voice} start together but end apart "
                            f"({prev.duration} and {note.duration} quarters); put them in two voices",
                            part=self.name, onset=note.onset,
                        )  # fmt: skip
                elif note.onset < prev.end:
                    raise ScoreError(
                        f"note {note.name} overlaps the note before it in voice {note.voice}",
                        part=self.name, onset=note.onset,
                    )  # fmt: skip
            last[note.voice] = note

    @property
    def end(self) -> Fraction:
        """Where the last note ends (0 for an empty part)."""
        return max((n.end for n in self.notes), default=Fraction(0))

    @property
    def voices(self) -> tuple[int, ...]:
        """The voice numbers in use, ascending."""
        return tuple(sorted({n.voice for n in self.notes}))

    def dynamic_at(self, onset: Fraction) -> str | None:
        """The last dynamic mark at or before ``onset``, or None."""
        onsets = [d.onset for d in self.dynamics]
        i = bisect.bisect_right(onsets, onset)
        return self.dynamics[i - 1].mark if i else None

    def velocity_of(self, note: Note) -> int:
        """The velocity a note is played at: its own, else its dynamic mark's, else 80."""
        if note.velocity is not None:
            return note.velocity
        mark = self.dynamic_at(note.onset)
        return DYNAMIC_VELOCITY[mark] if mark else DEFAULT_VELOCITY

    def with_notes(self, notes: Iterable[Note]) -> Part:
        """This part with its notes replaced."""
        return dataclasses.replace(self, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# Score-wide marks


@dataclass(frozen=True, slots=True)
class TempoMark:
    """A tempo from ``onset`` on: ``bpm`` quarter notes per minute; ``text`` as printed."""

    onset: Fraction
    bpm: float
    text: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="tempo onset"))
        try:
            bpm = float(self.bpm)
        except (TypeError, ValueError):
            raise ScoreError(f"tempo {self.bpm!r} is not a number", onset=self.onset) from None
        if not (math.isfinite(bpm) and MIN_BPM <= bpm <= MAX_BPM):
            raise ScoreError(
                f"tempo {self.bpm} quarter notes per minute is outside {MIN_BPM:g}-{MAX_BPM:g}",
                onset=self.onset,
            )
        object.__setattr__(self, "bpm", bpm)
        if self.onset < 0:
            raise ScoreError(f"tempo onset {self.onset} is negative", onset=self.onset)


@dataclass(frozen=True, slots=True)
class TempoMap:
    """Piecewise-constant tempo: the only bridge from beats to seconds.

    >>> tm = TempoMap((TempoMark(0, 120), TempoMark(4, 60)))
    >>> tm.seconds_at(Fraction(6))
    4.0
    >>> tm.ql_at(4.0)
    Fraction(6, 1)
    """

    marks: tuple[TempoMark, ...] = (TempoMark(Fraction(0), 120.0),)

    def __post_init__(self) -> None:
        marks = tuple(sorted(self.marks, key=lambda m: m.onset))
        if not marks:
            marks = (TempoMark(Fraction(0), 120.0),)
        elif marks[0].onset != 0:
            marks = (dataclasses.replace(marks[0], onset=Fraction(0), text=None),) + marks
        for a, b in zip(marks, marks[1:]):
            if a.onset == b.onset:
                raise ScoreError("two tempo marks at the same onset", onset=a.onset)
        object.__setattr__(self, "marks", marks)

    def _starts_seconds(self) -> list[float]:
        out, t = [0.0], 0.0
        for a, b in zip(self.marks, self.marks[1:]):
            t += float(b.onset - a.onset) * 60.0 / a.bpm
            out.append(t)
        return out

    def bpm_at(self, onset: Fraction) -> float:
        """Tempo in quarter notes per minute in force at ``onset``."""
        i = bisect.bisect_right([m.onset for m in self.marks], onset) - 1
        return self.marks[max(i, 0)].bpm

    def seconds_at(self, onset: Fraction | float) -> float:
        """Seconds from the start of the score to ``onset`` (quarter-lengths)."""
        onset = as_ql(onset)
        i = max(bisect.bisect_right([m.onset for m in self.marks], onset) - 1, 0)
        mark = self.marks[i]
        return self._starts_seconds()[i] + float(onset - mark.onset) * 60.0 / mark.bpm

    def ql_at(self, seconds: float) -> Fraction:
        """Quarter-lengths from the start at ``seconds`` (the inverse of :meth:`seconds_at`)."""
        starts = self._starts_seconds()
        i = max(bisect.bisect_right(starts, seconds) - 1, 0)
        mark = self.marks[i]
        return mark.onset + as_ql((seconds - starts[i]) * mark.bpm / 60.0)

    def duration_seconds(self, onset: Fraction, duration: Fraction) -> float:
        """Length in seconds of ``duration`` quarter-lengths starting at ``onset``."""
        return self.seconds_at(onset + duration) - self.seconds_at(onset)


@dataclass(frozen=True, slots=True)
class TimeSignature:
    """A meter from ``onset`` (which must fall on a bar line) on."""

    onset: Fraction
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="time signature onset"))
        if not (isinstance(self.numerator, int) and 1 <= self.numerator <= 64):
            raise ScoreError(f"time signature numerator {self.numerator!r} is outside 1-64", onset=self.onset)
        if self.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise ScoreError(
                f"time signature denominator {self.denominator!r} is not a power of two up to 64",
                onset=self.onset,
            )

    @property
    def bar_length(self) -> Fraction:
        """Length of one bar in quarter-lengths (6/8 -> 3)."""
        return Fraction(4 * self.numerator, self.denominator)

    @property
    def beat_length(self) -> Fraction:
        """The counted beat in quarter-lengths: the denominator's note value."""
        return Fraction(4, self.denominator)


@dataclass(frozen=True, slots=True)
class KeySignature:
    """A key from ``onset`` on: ``fifths`` sharps (negative: flats) and a mode."""

    onset: Fraction
    fifths: int
    mode: str = "major"

    #: How many fifths above the major tonic each mode's tonic sits (A minor: 3 above C).
    _MODE_FIFTHS = MappingProxyType({"major": 0, "ionian": 0, "minor": 3, "aeolian": 3, "dorian": 2,
                                     "phrygian": 4, "lydian": -1, "mixolydian": 1, "locrian": 5})  # fmt: skip

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="key signature onset"))
        if not (isinstance(self.fifths, int) and -7 <= self.fifths <= 7):
            raise ScoreError(f"key signature of {self.fifths!r} fifths is outside -7..7", onset=self.onset)
        if self.mode not in MODES:
            raise ScoreError(f"unknown mode {self.mode!r}; known: {', '.join(sorted(MODES))}", onset=self.onset)

    @property
    def tonic(self) -> str:
        """Tonic pitch class name, e.g. ``'A'`` for 0 fifths minor."""
        line = self.fifths + 1 + self._MODE_FIFTHS[self.mode]  # on the line of fifths, F = 0
        step = "FCGDAEB"[line % 7]
        sharps = line // 7
        return step + ("#" * sharps if sharps > 0 else "b" * -sharps)

    @property
    def tonic_pc(self) -> int:
        """Tonic pitch class 0-11."""
        return pitch_from_spelling(self.tonic + "4") % 12

    @property
    def scale_pcs(self) -> frozenset[int]:
        """The seven pitch classes of the key signature."""
        return frozenset((7 * k) % 12 for k in range(self.fifths - 1, self.fifths + 6))

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True, slots=True)
class Section:
    """A named section, written as a rehearsal mark (``"A"``, ``"Chorus"``) at ``onset``."""

    onset: Fraction
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="section onset"))
        if not self.name:
            raise ScoreError("a section needs a name", onset=self.onset)


@dataclass(frozen=True, slots=True)
class ChordSymbol:
    """A chord symbol (``"Am7"``, ``"F/C"``) in force from ``onset`` to the next one."""

    onset: Fraction
    figure: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "onset", as_ql(self.onset, what="chord onset"))
        if not self.figure:
            raise ScoreError("a chord symbol needs a figure", onset=self.onset)


@dataclass(frozen=True, slots=True)
class BarPosition:
    """Where an onset falls: ``bar`` as counted on the page (a pickup is bar 0) and the
    ``beat`` within it, from 1, counted in the time signature's denominator."""

    bar: int
    beat: Fraction

    def __str__(self) -> str:
        beat = self.beat
        return f"bar {self.bar} beat {beat.numerator if beat.denominator == 1 else float(beat):g}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its number, span in quarter-lengths and meter."""

    number: int
    start: Fraction
    end: Fraction
    time_signature: TimeSignature


# ---------------------------------------------------------------------------------------------
# The score


@dataclass(frozen=True, slots=True)
class Score:
    """A piece: parts plus the marks that hold for all of them.

    Parameters
    ----------
    title
        The work's title.
    parts
        The parts, in score order; ids are unique.
    tempo_map
        Tempo marks; seconds are derived from it alone.
    time_signatures
        Meters, each starting on a bar line; the first at onset 0 (default 4/4).
    key_signatures
        Keys; empty when unknown (atonal, or a MIDI file without key events).
    sections
        Named sections (rehearsal marks).
    chords
        Chord symbols, when the score has them.
    pickup
        Length in quarter-lengths of an anacrusis bar before bar 1 (0: none). The pickup is
        bar 0 and starts at onset 0.
    metadata
        Free text fields: composer, lyricist, source, licence, ...
    form
        The written form: repeat bar lines, voltas, jumps and markers
        (:class:`~partita.symbolic.form.FormMark`); notes are written once, and
        :func:`partita.symbolic.playback.played` unrolls them in playing order.
    playing
        Score-wide playing instructions in words: rit., accel., a tempo, tempo words without a
        metronome mark, swing (:class:`~partita.symbolic.form.PlayMark`); the performer bends
        the tempo and the rhythm with them (:mod:`partita.symbolic.timing`).
    length
        The written length in quarter-lengths when it goes past the last note (trailing rests);
        :attr:`end` is the larger of the two.
    dropped
        What the reader that made this score found in its file and could not keep
        (:mod:`partita.symbolic.report`); merged so each kind, part and bar is listed once.
    """

    title: str = ""
    parts: tuple[Part, ...] = ()
    tempo_map: TempoMap = field(default_factory=TempoMap)
    time_signatures: tuple[TimeSignature, ...] = (TimeSignature(Fraction(0), 4, 4),)
    key_signatures: tuple[KeySignature, ...] = ()
    sections: tuple[Section, ...] = ()
    chords: tuple[ChordSymbol, ...] = ()
    pickup: Fraction = Fraction(0)
    metadata: Mapping[str, str] = field(default_factory=dict)
    form: tuple[FormMark, ...] = ()
    playing: tuple[PlayMark, ...] = ()
    length: Fraction = Fraction(0)
    dropped: tuple[Dropped, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "parts", tuple(self.parts))
        set_(self, "dropped", merge_drops(self.dropped))
        set_(self, "form", tuple(sorted(self.form, key=lambda f: (f.onset, f.kind))))
        set_(self, "playing", tuple(sorted(self.playing, key=lambda f: (f.onset, f.kind))))
        set_(self, "length", as_ql(self.length, what="length"))
        if self.length < 0:
            raise ScoreError(f"score length {self.length} is negative")
        set_(self, "pickup", as_ql(self.pickup, what="pickup"))
        set_(self, "metadata", MappingProxyType({str(k): str(v) for k, v in dict(self.metadata).items()}))
        tss = tuple(sorted(self.time_signatures, key=lambda t: t.onset)) or (TimeSignature(Fraction(0), 4, 4),)
        if tss[0].onset != 0:
            raise ScoreError(f"the first time signature starts at {tss[0].onset}, not at 0", onset=tss[0].onset)
        set_(self, "time_signatures", tss)
        set_(self, "key_signatures", tuple(sorted(self.key_signatures, key=lambda k: k.onset)))
        set_(self, "sections", tuple(sorted(self.sections, key=lambda s: s.onset)))
        set_(self, "chords", tuple(sorted(self.chords, key=lambda c: c.onset)))
        if self.pickup < 0 or self.pickup >= tss[0].bar_length:
            raise ScoreError(f"pickup of {self.pickup} quarters does not fit in the first bar")
        ids = [p.id for p in self.parts]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ScoreError(f"part id {sorted(dup)[0]!r} is used twice")
        # each later meter must start on a bar line of the one before
        for prev, ts in zip(tss, tss[1:]):
            if ts.onset == prev.onset:
                raise ScoreError("two time signatures at the same onset", onset=ts.onset)
            start = prev.onset + (self.pickup if prev is tss[0] and self.pickup else 0)
            if ts.onset < start or (ts.onset - start) % prev.bar_length:
                raise ScoreError(
                    f"time signature {ts.numerator}/{ts.denominator} does not start on a bar line",
                    bar=self.bar_of(ts.onset).bar,
                )
        for marks, what in ((self.key_signatures, "key signatures"), (self.sections, "sections"),
                            (self.chords, "chord symbols")):  # fmt: skip
            for a, b in zip(marks, marks[1:]):
                if a.onset == b.onset:
                    raise ScoreError(f"two {what} at the same onset", bar=self.bar_of(a.onset).bar)

    # -- bars --------------------------------------------------------------------------------

    def _meter_starts(self) -> list[tuple[Fraction, int, TimeSignature]]:
        """(onset, number of the first bar, meter) for each time signature."""
        out = []
        tss = self.time_signatures
        bar = 0 if self.pickup else 1
        for i, ts in enumerate(tss):
            out.append((ts.onset, bar, ts))
            if i + 1 < len(tss):
                span = tss[i + 1].onset - ts.onset
                if i == 0 and self.pickup:
                    bar += 1
                    span -= self.pickup
                bar += int(span / ts.bar_length)
        return out

    def bar_of(self, onset: Fraction | int | float) -> BarPosition:
        """Bar number and beat of an onset.

        >>> Score(time_signatures=(TimeSignature(0, 3, 4),)).bar_of(Fraction(7, 2))
        BarPosition(bar=2, beat=Fraction(3, 2))
        """
        onset = as_ql(onset)
        starts = self._meter_starts()
        i = max(bisect.bisect_right([s[0] for s in starts], onset) - 1, 0)
        start, bar, ts = starts[i]
        if i == 0 and self.pickup:
            if onset < self.pickup:
                # beats of a pickup are counted as the end of a full bar
                into = onset + ts.bar_length - self.pickup
                return BarPosition(0, 1 + into / ts.beat_length)
            start, bar = self.pickup, 1
        into = onset - start
        k = into // ts.bar_length
        return BarPosition(bar + int(k), 1 + (into - k * ts.bar_length) / ts.beat_length)

    def bar_start(self, bar: int) -> Fraction:
        """Onset of bar number ``bar`` (bars past the end continue in the last meter)."""
        starts = self._meter_starts()
        first = 0 if self.pickup else 1
        if bar < first:
            raise ScoreError(f"there is no bar {bar}; the first bar is {first}")
        if bar == 0:
            return Fraction(0)
        i = max(j for j, s in enumerate(starts) if s[1] <= bar)
        start, first_bar, ts = starts[i]
        if i == 0 and self.pickup:
            start, first_bar = self.pickup, 1
        return start + (bar - first_bar) * ts.bar_length

    def time_signature_at(self, onset: Fraction) -> TimeSignature:
        """The meter in force at ``onset``."""
        i = bisect.bisect_right([t.onset for t in self.time_signatures], as_ql(onset)) - 1
        return self.time_signatures[max(i, 0)]

    def key_signature_at(self, onset: Fraction) -> KeySignature | None:
        """The key in force at ``onset``, or None when the score has none."""
        i = bisect.bisect_right([k.onset for k in self.key_signatures], as_ql(onset)) - 1
        return self.key_signatures[i] if i >= 0 else None

    @property
    def end(self) -> Fraction:
        """Where the written music ends, in quarter-lengths: the last note's end, or the end of
        trailing rests (:attr:`length`) when they go further."""
        return max(max((p.end for p in self.parts), default=Fraction(0)), self.length)

    @property
    def n_bars(self) -> int:
        """Number of bars the music spans, a pickup included (0 for an empty score)."""
        if self.end == 0:
            return 0
        last = self.bar_of(self.end)
        # a note ending exactly on a bar line does not open the next bar
        last_bar = last.bar - 1 if last.beat == 1 else last.bar
        first = 0 if self.pickup else 1
        return last_bar - first + 1

    def bars(self) -> Iterator[Bar]:
        """The bars the music spans, in order."""
        first = 0 if self.pickup else 1
        for number in range(first, first + self.n_bars):
            start = self.bar_start(number)
            ts = self.time_signature_at(start)
            end = self.pickup if number == 0 else start + ts.bar_length
            yield Bar(number, start, end, ts)

    # -- time --------------------------------------------------------------------------------

    @property
    def duration_seconds(self) -> float:
        """Length of the music in seconds (to the end of the last note)."""
        return self.tempo_map.seconds_at(self.end)

    def seconds_at(self, onset: Fraction) -> float:
        """Seconds from the start to ``onset``."""
        return self.tempo_map.seconds_at(onset)

    # -- parts and edits -----------------------------------------------------------------------

    def part(self, key: str) -> Part:
        """The part with this id, else with this name."""
        for p in self.parts:
            if p.id == key:
                return p
        for p in self.parts:
            if p.name == key:
                return p
        raise ScoreError(f"no part {key!r}; parts: {', '.join(p.id for p in self.parts)}")

    def replace_part(self, key: str, part: Part) -> Score:
        """This score with one part (by id or name) replaced."""
        old = self.part(key)
        return dataclasses.replace(self, parts=tuple(part if p is old else p for p in self.parts))

    def with_part_notes(self, key: str, notes: Iterable[Note]) -> Score:
        """This score with one part's notes replaced.

        >>> s = Score(parts=(Part("a", "Flute", "flute"),))
        >>> len(s.with_part_notes("a", [Note(0, 1, 72)]).part("a").notes)
        1
        """
        return self.replace_part(key, self.part(key).with_notes(notes))

    def transpose(self, semitones: int, *, parts: Iterable[str] | None = None) -> Score:
        """Move notes by ``semitones``; key signatures move too when every part does.

        Spelled notes are respelled for the new key (sharps in sharp keys, flats in flat keys).
        """
        chosen = None if parts is None else {self.part(k).id for k in parts}
        keys = self.key_signatures
        if chosen is None:
            keys = tuple(dataclasses.replace(k, fifths=_transpose_fifths(k.fifths, semitones)) for k in keys)
        new = []
        for p in self.parts:
            if chosen is not None and p.id not in chosen:
                new.append(p)
                continue
            notes = []
            for n in p.notes:
                ks = _key_at(keys, n.onset)
                try:
                    notes.append(n.transposed(semitones, fifths=ks.fifths if ks else 0))
                except ScoreError as e:
                    raise e.located(part=p.name, bar_of=lambda o: self.bar_of(o).bar) from None
            graces = tuple(dataclasses.replace(g, pitch=g.pitch + semitones, spelling=None) for g in p.graces
                           if 0 <= g.pitch + semitones <= 127)  # fmt: skip
            ornaments = tuple(o if o.pitch is None else dataclasses.replace(o, pitch=min(max(o.pitch + semitones, 0), 127))
                              for o in p.ornaments)  # fmt: skip
            cross = tuple(dataclasses.replace(c, pitch=c.pitch + semitones) for c in p.cross_staff)
            new.append(dataclasses.replace(p.with_notes(notes), graces=graces, ornaments=ornaments, cross_staff=cross))
        return dataclasses.replace(self, parts=tuple(new), key_signatures=keys)

    def with_verse(self, verse: int) -> Score:
        """This score singing lyric verse ``verse`` (:func:`partita.symbolic.verses.with_verse`)."""
        from partita.symbolic.verses import with_verse

        return with_verse(self, verse)

    def slice_bars(self, first: int, last: int) -> Score:
        """Bars ``first`` to ``last`` (inclusive) as a score of their own, starting at 0.

        Notes that start inside the span are kept, cut at its end; the meter, key, tempo and
        dynamic in force at the first bar are carried to its start.
        """
        start, stop = self.bar_start(first), self.bar_start(last + 1)
        if stop <= start:
            raise ScoreError(f"bars {first}-{last} are an empty span")

        def shift(marks, make):
            inside = [make(m, m.onset - start) for m in marks if start <= m.onset < stop]
            before = [m for m in marks if m.onset < start]
            if before and not any(m.onset == start for m in marks):
                inside.insert(0, make(before[-1], Fraction(0)))
            return tuple(inside)

        def moved(m, onset):
            return dataclasses.replace(m, onset=onset)

        parts = []
        for p in self.parts:
            notes = []
            for n in p.notes:
                if start <= n.onset < stop:
                    end = min(n.end, stop)
                    tie = n.tie if n.end <= stop else ("start" if n.tie in (None, "start") else "continue")
                    notes.append(dataclasses.replace(n, onset=n.onset - start, duration=end - n.onset, tie=tie))
            hairpins = tuple(
                dataclasses.replace(h, onset=max(h.onset, start) - start, end=min(h.end, stop) - start)
                for h in p.hairpins if h.end > start and h.onset < stop
            )  # fmt: skip
            graces = tuple(moved(g, g.onset - start) for g in p.graces if start <= g.onset < stop)
            ornaments = tuple(
                dataclasses.replace(o, onset=o.onset - start, end=None if o.end is None else min(o.end, stop) - start)
                for o in p.ornaments if start <= o.onset < stop
            )  # fmt: skip
            verses = tuple(moved(v, v.onset - start) for v in p.verses if start <= v.onset < stop)
            lines = tuple(
                dataclasses.replace(o, onset=max(o.onset, start) - start, end=min(o.end, stop) - start)
                for o in p.octave_lines if o.end > start and o.onset < stop
            )  # fmt: skip
            clefs = tuple(moved(c, c.onset - start) for c in p.clefs if start <= c.onset < stop)
            cross = tuple(moved(c, c.onset - start) for c in p.cross_staff if start <= c.onset < stop)
            parts.append(dataclasses.replace(p, notes=tuple(notes), dynamics=shift(p.dynamics, moved), hairpins=hairpins,
                                             graces=graces, ornaments=ornaments, verses=verses,
                                             octave_lines=lines, clefs=clefs, cross_staff=cross))  # fmt: skip
        tempo = TempoMap(shift(self.tempo_map.marks, moved))
        return dataclasses.replace(
            self,
            parts=tuple(parts),
            tempo_map=tempo,
            time_signatures=shift(self.time_signatures, moved) or (self.time_signature_at(start),),
            key_signatures=shift(self.key_signatures, moved),
            sections=tuple(moved(s, s.onset - start) for s in self.sections if start <= s.onset < stop),
            chords=shift(self.chords, moved),
            pickup=Fraction(0),
            form=(),  # a span of bars has no repeat structure of its own
            playing=tuple(moved(m, m.onset - start) for m in self.playing if start <= m.onset < stop),
            length=Fraction(0),
        )

    # -- serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (Fractions as ``"n/d"`` strings); see :meth:`from_dict`."""
        return _to_jsonable(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Score:
        """Inverse of :meth:`to_dict`."""
        try:
            return _score_from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ScoreError(f"not a partita score dict: {exc}") from None

    def canonical_hash(self) -> str:
        """sha256 of the canonical JSON form: equal scores, equal hashes."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    # -- bridges to other libraries (imported lazily) --------------------------------------------

    @classmethod
    def from_music21(cls, stream: Any) -> Score:
        """A Score from a music21 ``Score`` (or ``Part``/``Opus``: the first score)."""
        from partita.symbolic.io.musicxml import score_from_music21

        return score_from_music21(stream)

    def to_music21(self) -> Any:
        """This score as a music21 ``stream.Score``, written pitch in transposing parts."""
        from partita.symbolic.io.musicxml import score_to_music21

        return score_to_music21(self)

    @classmethod
    def from_pretty_midi(cls, pm: Any) -> Score:
        """A Score from a ``pretty_midi.PrettyMIDI``."""
        from partita.symbolic.io.midi import score_from_pretty_midi

        return score_from_pretty_midi(pm)

    def to_pretty_midi(self) -> Any:
        """This score as a ``pretty_midi.PrettyMIDI``: one instrument per part."""
        from partita.symbolic.io.midi import score_to_pretty_midi

        return score_to_pretty_midi(self)


def _transpose_fifths(fifths: int, semitones: int) -> int:
    """Key signature after transposition, choosing the spelling with fewer accidentals."""
    f = (fifths + 7 * semitones) % 12
    return f - 12 if f > 6 else f


def _key_at(keys: tuple[KeySignature, ...], onset: Fraction) -> KeySignature | None:
    i = bisect.bisect_right([k.onset for k in keys], onset) - 1
    return keys[i] if i >= 0 else None


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, Fraction):
        return str(obj)
    if isinstance(obj, (frozenset, set)):
        return sorted(obj)
    if isinstance(obj, (tuple, list)):
        return [_to_jsonable(x) for x in obj]
    if isinstance(obj, Mapping):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return obj


def _score_from_dict(d: Mapping[str, Any]) -> Score:
    def build(kind, item):
        return kind(**item)

    parts = []
    for p in d.get("parts", []):
        notes = tuple(
            Note(**{**n, "articulations": frozenset(n.get("articulations", ()))}) for n in p.get("notes", [])
        )
        parts.append(
            Part(
                id=p["id"], name=p["name"], instrument=p["instrument"], notes=notes,
                dynamics=tuple(build(Dynamic, x) for x in p.get("dynamics", [])),
                hairpins=tuple(build(Hairpin, x) for x in p.get("hairpins", [])),
                graces=tuple(build(GraceNote, x) for x in p.get("graces", [])),
                ornaments=tuple(build(Ornament, x) for x in p.get("ornaments", [])),
                verses=tuple(build(Syllable, x) for x in p.get("verses", [])),
                sung_verse=p.get("sung_verse", 1),
                octave_lines=tuple(build(OctaveLine, x) for x in p.get("octave_lines", [])),
                clefs=tuple(build(ClefChange, x) for x in p.get("clefs", [])),
                cross_staff=tuple(build(CrossStaff, x) for x in p.get("cross_staff", [])),
            )
        )  # fmt: skip
    tempo = d.get("tempo_map", {}).get("marks")
    return Score(
        title=d.get("title", ""),
        parts=tuple(parts),
        tempo_map=TempoMap(tuple(build(TempoMark, m) for m in tempo)) if tempo else TempoMap(),
        time_signatures=tuple(build(TimeSignature, t) for t in d.get("time_signatures", [])),
        key_signatures=tuple(build(KeySignature, k) for k in d.get("key_signatures", [])),
        sections=tuple(build(Section, s) for s in d.get("sections", [])),
        chords=tuple(build(ChordSymbol, c) for c in d.get("chords", [])),
        pickup=d.get("pickup", 0),
        metadata=d.get("metadata", {}),
        form=tuple(FormMark(**{**x, "numbers": tuple(x.get("numbers", ()))}) for x in d.get("form", [])),
        playing=tuple(build(PlayMark, x) for x in d.get("playing", [])),
        length=d.get("length", 0),
        dropped=tuple(build(Dropped, x) for x in d.get("dropped", [])),
    )
