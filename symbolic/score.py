"""The Score model: what every stage of partita passes along.

Beats are the truth: onsets and durations are quarter-lengths held as :class:`~fractions.Fraction`
(a triplet eighth is exactly ``Fraction(1, 3)``). Seconds exist only through the
:class:`~partita.symbolic.timeline.TempoMap`. Pitches are *sounding* MIDI numbers; a transposing
instrument's written pitch is worked out by the readers and writers from the instrument catalog.

The model is the ground floor and imports nothing above it. Beside this module sit the parts it
is built from: :mod:`~partita.symbolic.timeline` (quarter-lengths, tempo, meters, bars),
:mod:`~partita.symbolic.pitch` (spelling, key signatures), :mod:`~partita.symbolic.dynamics`,
:mod:`~partita.symbolic.form`, :mod:`~partita.symbolic.ornaments`,
:mod:`~partita.symbolic.verses` and :mod:`~partita.symbolic.notation`. Whole-score edits are :mod:`~partita.symbolic.edits`; the
readers, writers and bridges to music21 and pretty_midi are :mod:`partita.symbolic.io`.

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
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

from partita.errors import InstrumentError, ScoreError
from partita.symbolic.dynamics import DEFAULT_VELOCITY, DYNAMIC_VELOCITY, Dynamic, Hairpin
from partita.symbolic.form import FormMark, PlayMark
from partita.symbolic.note_checks import ARTICULATIONS, check_note
from partita.symbolic.notation import ClefChange, CrossStaff, OctaveLine
from partita.symbolic.ornaments import GraceNote, Ornament
from partita.symbolic.pitch import KeySignature, pitch_from_spelling, spell_pitch
from partita.symbolic.report import Dropped, merge_drops
from partita.symbolic.timeline import Bar, BarPosition, TempoMap, TempoMark, TimeSignature, as_ql, bar_of, bar_start
from partita.symbolic.verses import Syllable
from partita.symbolic.verses import with_verse as _with_verse

__all__ = ["ARTICULATIONS", "ChordSymbol", "Note", "Part", "Score", "Section"]



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
        check_note(self)

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


def _starts_before_end(onset: Fraction, prev_onset: Fraction, prev_duration: Fraction) -> bool:
    """``onset < prev_onset + prev_duration``, exactly, in integers (no Fraction made)."""
    o, a, d = onset, prev_onset, prev_duration
    end_numerator = a.numerator * d.denominator + d.numerator * a.denominator  # over a.denominator * d.denominator
    return o.numerator * a.denominator * d.denominator < end_numerator * o.denominator


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
        # sorted by (onset, voice, pitch), each onset led by its float: a correctly rounded
        # float never orders two Fractions the wrong way round, and where two floats tie the
        # Fractions decide -- the same order as the Fractions' alone, at a float comparison for
        # most pairs (a Fraction comparison is some 1 us in Python)
        keyed = sorted(((n.onset.numerator / n.onset.denominator, n) for n in self.notes),
                       key=lambda s_n: (s_n[0], s_n[1].onset, s_n[1].voice, s_n[1].pitch))  # fmt: skip
        object.__setattr__(self, "notes", tuple(n for _, n in keyed))
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
        self._check_voices([start for start, _ in keyed])

    def _check_voices(self, starts: list[float]) -> None:
        """Within a voice, chord notes end together and notes do not overlap. ``starts``: the
        notes' onsets as floats (they screen the exact tests: a note that starts well after the
        previous one's end needs no Fraction sum)."""
        last: dict[int, tuple[Note, float]] = {}
        for note, start in zip(self.notes, starts):
            voice = note.voice
            seen = last.get(voice)
            last[voice] = note, start
            if seen is not None:
                prev, prev_start = seen
                prev_end = prev_start + prev.duration.numerator / prev.duration.denominator
                if start > prev_end + 1e-9 * max(1.0, prev_end):  # surely after it
                    continue
                if start == prev_start and note.onset == prev.onset:
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
                elif _starts_before_end(note.onset, prev.onset, prev.duration):
                    raise ScoreError(
                        f"note {note.name} overlaps the note before it in voice {note.voice}",
                        part=self.name, onset=note.onset,
                    )  # fmt: skip

    @property
    def end(self) -> Fraction:
        """Where the last note ends (0 for an empty part)."""
        notes = self.notes
        if not notes:
            return Fraction(0)
        # Exact, without a Fraction sum per note (some 3 us each: 16 ms of reading the 4,620-note
        # benchmark score): the float sums, correctly rounded each (under 1e-12 of a part's
        # length off), leave the few notes that can end last, and only theirs are added exactly
        ends = [n.onset.numerator / n.onset.denominator + n.duration.numerator / n.duration.denominator for n in notes]
        top = max(ends)
        near = top - 1e-9 * max(1.0, top)
        return max(n.onset + n.duration for n, e in zip(notes, ends) if e >= near)

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

    def bar_of(self, onset: Fraction | int | float) -> BarPosition:
        """Bar number and beat of an onset (:func:`~partita.symbolic.timeline.bar_of`).

        >>> Score(time_signatures=(TimeSignature(0, 3, 4),)).bar_of(Fraction(7, 2))
        BarPosition(bar=2, beat=Fraction(3, 2))
        """
        return bar_of(self.time_signatures, self.pickup, onset)

    def bar_start(self, bar: int) -> Fraction:
        """Onset of bar number ``bar`` (bars past the end continue in the last meter)."""
        return bar_start(self.time_signatures, self.pickup, bar)

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
        end = self.end
        if end == 0:
            return 0
        last = self.bar_of(end)
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

    def with_verse(self, verse: int) -> Score:
        """This score singing lyric verse ``verse`` (:func:`partita.symbolic.verses.with_verse`)."""
        return _with_verse(self, verse)

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
