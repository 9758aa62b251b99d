"""Standard MIDI files: read and write a :class:`~partita.symbolic.score.Score` (through mido).

Writing
-------
A type-1 file at 480 ticks per quarter (a triplet eighth is exactly 160 ticks); when a score
holds finer values (septuplets, 1/9 ...) the resolution becomes the least common multiple of
480 and every denominator, up to MIDI's limit of 32767; beyond that positions are rounded to
10080 ticks per quarter. Track 0 is the conductor track: the title as its track name, tempo
changes (``set_tempo``, whole microseconds per quarter), time signatures, key signatures
(``key_signature``, from fifths and mode) and sections (``marker`` events). Then one track per
part, named after the part, with a ``program_change`` to its instrument's General MIDI
program and one sounding MIDI note per note (a bowed part's ``pizzicato`` notes sound under
program 45, Pizzicato Strings, switched to and back on the part's channel:
:mod:`partita.symbolic.io.midi_techniques`):

* velocity = :meth:`Part.velocity_of` (the note's own, else from the dynamic mark before it);
* tied notes (``tie`` start/continue/stop, same pitch and voice) become one MIDI note;
* channels: percussion parts (``drum_kit``) play on channel 10 (index 9); pitched parts get
  channels 1-9, 11-16 in score order, so no two share one. A score with more than 15 pitched
  parts wraps around and parts share channels (a synthesizer then plays each shared channel
  with the program set last).

MIDI has no pickup bar: a score with a pickup writes the pickup as a bar of its own meter
(a one-quarter pickup in 4/4 becomes a 1/4 bar) when that meter exists (the pickup is a whole
number of 64th notes), else the first meter starts at 0 and the bar lines of the file are
shifted by the pickup. Modes other than major and minor are written with their key
signature's fifths as major (aeolian as minor): MIDI knows only those two.

What MIDI keeps, and so what a Score -> MIDI -> Score round trip keeps: per part, the notes as
(onset, duration, sounding pitch, velocity) after merging ties; pizzicato on bowed parts;
part names; programs; the instrument when the part's name is one the catalog knows (else the
instrument the program means); tempo marks (bpm to a whole microsecond per quarter); time
signatures; key signatures (fifths, major/minor); sections; the title. What it loses: pitch
spelling, other articulations, slurs, lyrics, dynamics as marks (only the velocities they
give), hairpins, voices (rebuilt on reading, see below), per-note expression overrides, chord
symbols, tempo texts, metadata, the pickup, and parts without notes when no other part has
any. A score with a written form (repeats, voltas, D.C./D.S.), grace notes, ornaments or tempo
words is written as performed (``partita.symbolic.playback.performed``), as MuseScore exports
MIDI: it reads back unrolled.

Reading
-------
Every track with notes becomes a part; a track whose notes use several programs (or drums
and pitched notes) is split into one part per program, except that Pizzicato Strings beside
a bowed program (on its channel, or on a channel of its own as MuseScore 3 exports ``pizz.``)
stays in the bowed part, its notes marked ``pizzicato`` (see
:mod:`partita.symbolic.io.midi_techniques`). A track with a ``program_change`` but no notes
becomes an empty part (so empty parts written here survive). Part ids are ``p1``,
``p2``, ... in file order; names come from track names, else from the instrument, numbered
when repeated (``Violin 1``, ``Violin 2``); the instrument is the catalog's match for the
track name when it plays the track's program, else the program's (channel 10: ``drum_kit``).
Onsets and durations are ``Fraction(ticks, ticks_per_quarter)``; each note keeps the file's
velocity. A note-off ends the oldest sounding note of its pitch and channel that started
before it. Notes that overlap
within a track are dealt greedily into voices 1, 2, ... so that no voice overlaps; notes that
start and end together share a voice as a chord. A note-on without its note-off ends at the
end of its track; notes of zero length are dropped with a warning.

Real files are messy: a time signature change that does not fall on a bar line of the meter
before it is moved to the next bar line, with a :class:`UserWarning` naming the file and bar
(and dropped when the following change comes first). A file that is not a MIDI file, is
truncated, has no tracks or no notes, a tempo of 0 or outside 5-1000 quarter notes per minute,
or an impossible time signature raises :class:`~partita.errors.FormatError` naming the file
(and the bar where known). Input files are never modified; writing is atomic.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(title="Tiny", parts=(Part("vn", "Violin", "violin", (Note(0, 1, 67, velocity=90),)),))
>>> back = score_from_bytes(score_to_bytes(s))
>>> back.title, back.parts[0].name, back.parts[0].notes[0].velocity
('Tiny', 'Violin', 90)
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

from partita._fileio import atomic_write_bytes
from partita.errors import FormatError, InstrumentError, PartitaError, ScoreError
from partita.symbolic.io.midi_techniques import fold_pizzicato, note_on_orders
from partita.symbolic.pitch import KeySignature
from partita.symbolic.score import Part, Score, Section
from partita.symbolic.sounding import assign_voices, merged_ties
from partita.symbolic.timeline import MAX_BPM, MIN_BPM, TempoMap, TempoMark, TimeSignature, as_ql

__all__ = [
    "DEFAULT_TICKS_PER_QUARTER",
    "read",
    "write",
    "score_from_bytes",
    "score_to_bytes",
    "score_from_midifile",
    "score_to_midifile",
    "score_from_pretty_midi",
    "score_to_pretty_midi",
]

#: Ticks per quarter note of written files: holds 32nds, 64ths, triplets and quintuplets.
DEFAULT_TICKS_PER_QUARTER = 480
_MAX_TICKS_PER_QUARTER = 32767  # the division field is 15 bits (the 16th means SMPTE time)
_FALLBACK_TICKS_PER_QUARTER = 10080
_DRUM_CHANNEL = 9
_PITCHED_CHANNELS = tuple(c for c in range(16) if c != _DRUM_CHANNEL)

_MAJOR_KEYS = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR_KEYS = ("Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m",
               "G#m", "D#m", "A#m")  # fmt: skip
_KEY_FROM_NAME = {name: (i - 7, "major") for i, name in enumerate(_MAJOR_KEYS)} | {
    name: (i - 7, "minor") for i, name in enumerate(_MINOR_KEYS)
}


# ---------------------------------------------------------------------------------------------
# Writing


def _choose_ticks_per_quarter(score: Score) -> int:
    dens = {DEFAULT_TICKS_PER_QUARTER}
    for part in score.parts:
        for n in part.notes:
            dens.update((n.onset.denominator, n.duration.denominator))
    for marks in (score.tempo_map.marks, score.time_signatures, score.key_signatures, score.sections):
        dens.update(m.onset.denominator for m in marks)
    dens.add(score.pickup.denominator)
    tpq = math.lcm(*dens)
    return tpq if tpq <= _MAX_TICKS_PER_QUARTER else _FALLBACK_TICKS_PER_QUARTER


def _key_name(ks: KeySignature) -> str:
    minor = ks.mode in ("minor", "aeolian")
    return (_MINOR_KEYS if minor else _MAJOR_KEYS)[ks.fifths + 7]


def _pickup_meter(score: Score) -> tuple[int, int] | None:
    """The meter (numerator, denominator) a pickup bar is written in, if one exists."""
    first = score.time_signatures[0]
    for den in sorted({first.denominator, 4, 8, 16, 32, 64}):
        num = score.pickup * den / 4
        if num.denominator == 1 and 1 <= num <= 64:
            return int(num), den
    return None


def _program_of(part: Part) -> tuple[int, bool]:
    from partita import instruments

    inst = instruments.get(part.instrument)
    return int(inst.gm_program or 0), bool(inst.percussion)


def score_to_midifile(score: Score, *, ticks_per_quarter: int | None = None) -> Any:
    """``score`` as a ``mido.MidiFile`` (type 1; see the module docstring for the layout).

    Parameters
    ----------
    score
        The score to write. MIDI holds a performance: a score with a written form, grace notes,
        ornaments or tempo words is written as performed (:func:`partita.symbolic.playback.performed`:
        repeats and jumps played out, as MuseScore exports MIDI), which is what reads back.
    ticks_per_quarter
        Resolution; ``None`` picks 480, or a multiple that holds every position exactly.
        Positions that fall between ticks are rounded to the nearest tick.
    """
    import mido

    from partita.symbolic.playback import performed

    score = performed(score)

    tpq = ticks_per_quarter or _choose_ticks_per_quarter(score)
    if not 1 <= tpq <= _MAX_TICKS_PER_QUARTER:
        raise FormatError(f"ticks per quarter {tpq} is outside MIDI's 1-{_MAX_TICKS_PER_QUARTER}")

    def tick(ql: Fraction) -> int:
        return round(ql * tpq)

    mid = mido.MidiFile(type=1, ticks_per_beat=tpq, charset="utf-8")
    conductor: list[tuple[int, int, Any]] = []  # (tick, order, message)
    tss = list(score.time_signatures)
    if score.pickup:
        meter = _pickup_meter(score)
        if meter is not None:
            conductor.append((0, 0, mido.MetaMessage("time_signature", numerator=meter[0],
                                                     denominator=meter[1])))  # fmt: skip
            tss[0] = TimeSignature(score.pickup, tss[0].numerator, tss[0].denominator)
            if len(tss) > 1 and tss[1].onset == tss[0].onset:
                del tss[0]
    for ts in tss:
        conductor.append((tick(ts.onset), 0, mido.MetaMessage(
            "time_signature", numerator=ts.numerator, denominator=ts.denominator)))  # fmt: skip
    for ks in score.key_signatures:
        conductor.append((tick(ks.onset), 1, mido.MetaMessage("key_signature", key=_key_name(ks))))
    for mark in score.tempo_map.marks:
        conductor.append((tick(mark.onset), 2, mido.MetaMessage("set_tempo", tempo=round(60e6 / mark.bpm))))
    for sec in score.sections:
        conductor.append((tick(sec.onset), 3, mido.MetaMessage("marker", text=sec.name)))
    head = mido.MidiTrack()
    if score.title:
        head.append(mido.MetaMessage("track_name", name=score.title))
    head.extend(_delta_encoded(conductor))
    mid.tracks.append(head)

    pitched = 0
    for part in score.parts:
        program, percussion = _program_of(part)
        if percussion:
            channel = _DRUM_CHANNEL
        else:
            channel = _PITCHED_CHANNELS[pitched % len(_PITCHED_CHANNELS)]
            pitched += 1
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part.name))
        events: list[tuple[int, int, Any]] = [
            (0, 0, mido.Message("program_change", channel=channel, program=program))
        ]
        notes = merged_ties(part)
        # pizzicato notes of a bowed part: program changes around them (midi_techniques)
        orders, changes = note_on_orders(notes, [tick(n.onset) for n in notes], program)
        events += [(t, o, mido.Message("program_change", channel=channel, program=p)) for t, o, p in changes]
        for n, order in zip(notes, orders):
            on, off = tick(n.onset), tick(n.onset + n.duration)
            off = max(off, on + 1)
            # at one tick, note-offs go before note-ons so repeated notes pair up again
            on_msg = mido.Message("note_on", channel=channel, note=n.pitch, velocity=n.velocity)
            events.append((on, order, on_msg))
            events.append((off, 1, mido.Message("note_off", channel=channel, note=n.pitch, velocity=0)))
        track.extend(_delta_encoded(events))
        mid.tracks.append(track)
    return mid


def _delta_encoded(events: list[tuple[int, int, Any]]) -> list[Any]:
    import mido

    out, now = [], 0
    for t, _, msg in sorted(events, key=lambda e: (e[0], e[1], getattr(e[2], "note", 0))):
        out.append(msg.copy(time=t - now))
        now = t
    out.append(mido.MetaMessage("end_of_track", time=0))
    return out


def score_to_bytes(score: Score, *, ticks_per_quarter: int | None = None) -> bytes:
    """The bytes of the Standard MIDI file :func:`score_to_midifile` makes."""
    buf = io.BytesIO()
    score_to_midifile(score, ticks_per_quarter=ticks_per_quarter).save(file=buf)
    return buf.getvalue()


def write(score: Score, path: str | os.PathLike[str], *, ticks_per_quarter: int | None = None) -> Path:
    """Write ``score`` to the MIDI file ``path`` atomically."""
    path = Path(path)
    atomic_write_bytes(path, score_to_bytes(score, ticks_per_quarter=ticks_per_quarter))
    return path


def score_to_pretty_midi(score: Score) -> Any:
    """``score`` as a ``pretty_midi.PrettyMIDI`` (written as MIDI, then loaded by pretty_midi)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(io.BytesIO(score_to_bytes(score)))
    for inst in pm.instruments:  # pretty_midi reads text as latin-1; partita writes UTF-8
        inst.name = _text(inst.name)
    return pm


# ---------------------------------------------------------------------------------------------
# Reading


def read(path: str | os.PathLike[str], *, limits: Any = None, progress: Any = None) -> Score:
    """Read the Standard MIDI file ``path`` (see the module docstring for what it keeps).

    ``limits`` (:class:`~partita.symbolic.io.musicxml_parts.Limits`, default its defaults):
    a file with more tracks than ``max_parts`` is refused before its notes are read, a score
    with more parts or bars after. ``progress(done, total, what)`` is called per phase.

    Raises
    ------
    FormatError
        Not a readable MIDI file, no tracks, no notes, bad tempo or meter; names the file.
    LimitError
        More parts or bars than ``limits`` allow.
    """
    from partita.symbolic.io.musicxml_parts import check_limits

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    if data.startswith(b"MThd") and len(data) >= 12:
        n_tracks = int.from_bytes(data[10:12], "big")  # the header's track count
        if int.from_bytes(data[8:10], "big") == 1:
            n_tracks -= 1  # a format-1 file's first track is the conductor track (tempo, meter)
        check_limits(n_tracks, 0, limits, file=str(path))
    if progress is not None:
        progress(0, 1, "parsing")
    score = score_from_bytes(data, name=str(path))
    check_limits(len(score.parts), score.n_bars, limits, file=str(path))
    if progress is not None:
        progress(1, 1, "parsing")
    return score


def score_from_bytes(data: bytes, *, name: str = "<bytes>") -> Score:
    """A Score from the bytes of a Standard MIDI file; ``name`` is used in error messages."""
    from partita.symbolic.io import midi_smf

    if not data.startswith(b"MThd"):
        raise FormatError("not a Standard MIDI file (no MThd header)", file=name)
    try:  # the events as mido reads them, without mido's object per event
        kind, tpq, tracks = midi_smf.events(data)
    except Exception:  # anything unusual, or that mido refuses: mido reads it and says what
        pass
    else:
        return _located(kind, tpq, tracks, name)
    import mido  # only here (see midi_smf)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mido warns about odd but legal files
            mid = mido.MidiFile(file=io.BytesIO(data))
    except PartitaError:
        raise
    except Exception as exc:  # mido raises many kinds (EOFError, IOError, ValueError, KeyError ...)
        raise FormatError(f"not a readable MIDI file ({type(exc).__name__}: {exc})", file=name) from None
    return score_from_midifile(mid, name=name)


def score_from_pretty_midi(pm: Any) -> Score:
    """A Score from a ``pretty_midi.PrettyMIDI`` (written to MIDI bytes, then read)."""
    import copy

    pm = copy.deepcopy(pm)  # the caller's object is left alone
    for inst in getattr(pm, "instruments", ()):
        # pretty_midi writes text as latin-1: hand it the UTF-8 bytes of the name
        inst.name = (inst.name or "").encode("utf-8").decode("latin-1")
    buf = io.BytesIO()
    try:
        pm.write(buf)
    except Exception as exc:
        raise FormatError(f"pretty_midi could not write this object ({exc})", file="<pretty_midi>") from None
    return score_from_bytes(buf.getvalue(), name="<pretty_midi>")


def _text(raw: str) -> str:
    """Meta text as read in latin-1 (mido's default), re-read as UTF-8 where it is valid UTF-8."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


@dataclass
class _TrackNotes:
    name: str | None
    # (percussion, program) -> [onset_tick, end_tick, pitch, velocity(, articulations)]
    groups: dict[tuple[bool, int], list[list[int]]]
    programs: list[tuple[bool, int]]  # program changes seen, in order


def score_from_midifile(mid: Any, *, name: str = "<midi>") -> Score:
    """A Score from a ``mido.MidiFile``; ``name`` is used in error messages."""
    return _located(mid.type, mid.ticks_per_beat, [_mido_events(t) for t in mid.tracks], name)


def _mido_events(track: Any) -> list[tuple[int, str, Any, Any, Any]]:
    """A mido track as :func:`partita.symbolic.io.midi_smf.events` gives one."""
    out = []
    for msg in track:
        t = msg.type
        if t == "note_on" or t == "note_off":
            out.append((msg.time, t, msg.channel, msg.note, msg.velocity))
        elif t == "program_change":
            out.append((msg.time, t, msg.channel, msg.program, 0))
        elif msg.is_meta:
            out.append((msg.time, t, None, msg, None))
        else:
            out.append((msg.time, "other", getattr(msg, "channel", None), None, None))
    return out


def _located(kind: int, tpq: int, events: list[list[tuple[int, str, Any, Any, Any]]], name: str) -> Score:
    """:func:`_from_events`, its errors as FormatErrors naming the file."""
    try:
        return _from_events(kind, tpq, events, name)
    except PartitaError as exc:
        raise exc.located(file=name) from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            ZeroDivisionError) as exc:  # fmt: skip
        raise FormatError(f"not a readable MIDI file ({type(exc).__name__}: {exc})", file=name) from None


def _from_events(kind: int, tpq: int, events: list[list[tuple[int, str, Any, Any, Any]]], name: str) -> Score:
    """A Score of a file's format, ticks per quarter and events of each track (see
    :func:`partita.symbolic.io.midi_smf.events`)."""
    if kind == 2:
        raise FormatError("type-2 MIDI files (independent sequences) are not supported", file=name)
    tpq = int(tpq)
    if not 1 <= tpq <= _MAX_TICKS_PER_QUARTER:
        raise FormatError(f"division {tpq} is not a number of ticks per quarter (SMPTE time?)", file=name)
    if not events:
        raise FormatError("the file has no tracks", file=name)

    def ql(t: int) -> Fraction:
        return as_ql(Fraction(t, tpq))

    tempos: dict[int, int] = {}
    meters: dict[int, tuple[int, int]] = {}
    keys: dict[int, tuple[int, str]] = {}
    markers: dict[int, str] = {}
    tracks: list[_TrackNotes] = []
    for track in events:
        now = 0
        name_: str | None = None
        program = defaultdict(int)  # channel -> program
        sounding: dict[tuple[int, int], list[list[int]]] = defaultdict(list)  # (ch, pitch) -> open
        groups: dict[tuple[bool, int], list[list[int]]] = defaultdict(list)
        programs: list[tuple[bool, int]] = []
        zero = 0
        for delta, t, channel, a, b in track:
            now += delta
            if t == "note_off" or (t == "note_on" and b == 0):
                # the oldest note of this pitch that started before now; a note that started
                # at this very tick only when no other is sounding (it has zero length)
                stack = sounding.get((channel, a))
                if stack:
                    i = next((k for k, n in enumerate(stack) if n[0] < now), 0)
                    note = stack.pop(i)
                    if now > note[0]:
                        note[1] = now
                    else:
                        zero += 1
            elif t == "note_on":
                note = [now, -1, a, b]
                groups[(channel == _DRUM_CHANNEL, program[channel])].append(note)
                sounding[(channel, a)].append(note)
            elif t == "program_change":
                program[channel] = a
                programs.append((channel == _DRUM_CHANNEL, a))
            elif t == "other":
                continue  # another channel event, or a sysex
            elif t == "track_name" and name_ is None:  # a meta event: ``a`` is mido's message
                name_ = _text(a.name).strip() or None
            elif t == "set_tempo":
                tempos[now] = a.tempo
            elif t == "time_signature":
                meters[now] = (a.numerator, a.denominator)
            elif t == "key_signature":
                keys[now] = _KEY_FROM_NAME.get(a.key, (0, "major"))
            elif t == "marker" and a.text.strip():
                markers.setdefault(now, _text(a.text).strip())
        for stack in sounding.values():  # never switched off: end at the end of the track
            for note in stack:
                if now > note[0]:
                    note[1] = now
                else:
                    zero += 1
        fold_pizzicato(track, groups)  # notes under Pizzicato Strings join their bowed part
        for key in groups:
            groups[key] = [n for n in groups[key] if n[1] > n[0]]
        if zero:
            warnings.warn(f"{name}: dropped {zero} note(s) of zero length", UserWarning, stacklevel=3)
        tracks.append(_TrackNotes(name_, {k: v for k, v in groups.items() if v}, programs))

    if not any(t.groups for t in tracks):
        raise FormatError("the file has no notes (only meta or control events)", file=name)

    time_signatures = _meters(meters, ql, tpq, name)
    meter_score = Score(time_signatures=time_signatures)

    def bar(t: int) -> int:
        return meter_score.bar_of(ql(t)).bar

    marks = []
    for t, us in sorted(tempos.items()):
        if us <= 0:
            raise FormatError("a tempo of 0 microseconds per quarter", file=name, bar=bar(t))
        bpm = 60e6 / us
        if not MIN_BPM <= bpm <= MAX_BPM:
            raise FormatError(
                f"tempo of {bpm:.4g} quarter notes per minute is outside {MIN_BPM:g}-{MAX_BPM:g}",
                file=name, bar=bar(t),
            )  # fmt: skip
        marks.append(TempoMark(ql(t), bpm))

    title = ""
    first_is_conductor = len(tracks) > 1 and not tracks[0].groups and not tracks[0].programs
    if first_is_conductor and tracks[0].name:
        title = tracks[0].name

    parts = _parts(tracks[1:] if first_is_conductor else tracks, ql, name,
                   lambda onset: meter_score.bar_of(onset).bar)
    try:
        return Score(
            title=title,
            parts=tuple(parts),
            tempo_map=TempoMap(tuple(marks)),
            time_signatures=time_signatures,
            key_signatures=tuple(KeySignature(ql(t), f, m) for t, (f, m) in sorted(keys.items())),
            sections=tuple(Section(ql(t), text) for t, text in sorted(markers.items())),
        )
    except ScoreError as exc:
        raise FormatError(exc.message, file=name, part=exc.part, bar=exc.bar) from None


def _meters(meters: dict[int, tuple[int, int]], ql, tpq: int, name: str) -> tuple[TimeSignature, ...]:
    """Time signatures, each moved onto a bar line of the one before (with a warning)."""
    out: list[TimeSignature] = []
    bars_before = 1  # bar number at the start of the current meter
    items = sorted(meters.items())
    if not items or items[0][0] != 0:
        items.insert(0, (0, (4, 4)))
    for t, (num, den) in items:
        try:
            ts = TimeSignature(ql(t), num, den)
        except ScoreError as exc:
            bar_no = bars_before
            if out:
                bar_no += int((ql(t) - out[-1].onset) // out[-1].bar_length)
            raise FormatError(exc.message, file=name, bar=bar_no) from None
        if out:
            prev = out[-1]
            span = ts.onset - prev.onset
            n_bars = math.ceil(span / prev.bar_length)
            if span % prev.bar_length:
                snapped = prev.onset + n_bars * prev.bar_length
                warnings.warn(
                    f"{name}: bar {bars_before + n_bars - 1}: time signature {num}/{den} does not "
                    f"start on a bar line; moved to the next bar line",
                    UserWarning, stacklevel=4,
                )  # fmt: skip
                ts = TimeSignature(snapped, num, den)
            if ts.onset == prev.onset:  # a change at the same place: the later one wins
                out[-1] = TimeSignature(prev.onset, num, den)
                continue
            bars_before += n_bars
        out.append(ts)
    # a snapped change can overtake the next one: keep the last at each onset, in order
    kept: list[TimeSignature] = []
    for ts in out:
        while kept and kept[-1].onset >= ts.onset:
            kept.pop()
        kept.append(ts)
    return tuple(kept)


def _parts(tracks: Iterable[_TrackNotes], ql, name: str, bar_of) -> list[Part]:
    from partita import instruments

    specs = []  # (track name or None, instrument, notes)
    for tr in tracks:
        groups = tr.groups or ({tr.programs[0]: []} if tr.programs else {})
        for (percussion, program), notes in groups.items():
            inst = None
            if tr.name:
                try:
                    found = instruments.lookup(tr.name)
                    if bool(found.percussion) == percussion and (percussion or found.gm_program == program):
                        inst = found
                except (InstrumentError, ScoreError, LookupError):
                    inst = None
            if inst is None:
                inst = instruments.by_program(program, percussion=percussion)
            specs.append((tr.name, inst, notes))

    fallback_count: dict[str, int] = defaultdict(int)
    for tname, inst, _ in specs:
        if not tname:
            fallback_count[inst.name] += 1
    used: dict[str, int] = defaultdict(int)
    parts = []
    for i, (tname, inst, notes) in enumerate(specs, start=1):
        if tname:
            pname = tname
        else:
            pname = inst.name
            if fallback_count[pname] > 1:
                used[pname] += 1
                pname = f"{pname} {used[pname]}"
        try:
            parts.append(Part(f"p{i}", pname, inst.id, assign_voices(notes, ql)))
        except ScoreError as exc:
            where = exc.bar
            if where is None and exc.onset is not None:
                where = bar_of(exc.onset)
            raise FormatError(exc.message, part=pname, bar=where) from None
    return parts
