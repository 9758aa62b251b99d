"""The performance model: a part of a score in, control curves per phrase out.

Beats become seconds here, and only through ``score.tempo_map``. The steps, for one part:

1. **Sounding notes.** Tied notes (``Note.tie``) merge into one note. Chords within a voice
   split into voices (top note first, each into the first sub-voice free by its onset), so
   every voice is monophonic.
2. **Phrases.** Inside a slur, notes of one voice that touch form one legato *phrase*
   (sustained instruments only); every other note is a phrase of its own. A phrase is rendered
   on its own and overlap-added into the stem, so editing one note changes only its phrase.
3. **Timing.** Onsets and ends in seconds from the tempo map; staccato shortens (x0.5),
   staccatissimo more (x0.3), tenuto holds the full value, a fermata lengthens (x1.6),
   detached notes of sustained instruments leave a small breath (x0.94, at most 60 ms).
   Optional humanisation (micro-timing and velocity) only from an explicit seed, per note.
4. **Loudness** ``loudness_db``: a dynamic level (velocity 1-127) follows the part's dynamic
   marks and is interpolated linearly across hairpins to the next mark (or one step, 16
   velocity units, when no mark follows); a note's own velocity overrides it. Velocity maps to
   dB linearly per style, from ``db_ff - db_range`` at pp (velocity 33) to ``db_ff`` at ff (112).
   Accents add a decaying bump (sf, sfz and fz marks too). Then the articulation envelope:
   attack from silence, sustain (or, for plucked and struck styles, an exponential decay whose
   time shrinks with pitch), release to silence after the note ends.
5. **Pitch** ``f0_hz``: equal temperament (A4 = 440 Hz) from sounding pitch; inside a legato
   phrase a raised-cosine glide in log frequency joins the notes; vibrato (depth in cents as
   peak deviation, rate in Hz) starts after an onset delay and fades in, from the style's
   defaults or the note's own ``vibrato_depth_cents`` / ``vibrato_rate_hz``.
6. **Expression**: ``brightness`` (note override or style default; decaying for plucked and
   struck styles) and ``noise`` (an attack burst plus a sustained amount: bow, breath).

>>> from partita.symbolic.score import Note, Part, Score
>>> part = Part("fl", "Flute", "flute", notes=(Note(0, 1, 69), Note(1, 1, 71)))
>>> curves = perform_part(part, Score(parts=(part,)))
>>> len(curves), round(float(sorted(curves[0].f0_hz)[curves[0].n_frames // 2]))
(2, 440)
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

import numpy as np

from partita._presets import Entry, load, table
from partita.errors import ConfigError
from partita.render.controls import FRAME_RATE, SILENCE_DB, ControlCurves, phrase_seed
from partita.render.performance_kernel import phrases_kernel
from partita.render.timbres import style_of
from partita.symbolic.dynamics import DEFAULT_VELOCITY, DYNAMIC_VELOCITY
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap

__all__ = ["Style", "STYLES", "load_styles", "SoundingNote", "note_times", "perform_part", "perform", "seconds_of", "sounding_notes", "level_curve", "velocity_to_db"]

_ACCENT_MARKS = frozenset({"sf", "sfz", "sff", "sffz", "fz", "rf", "rfz"})
_PP_VELOCITY, _FF_VELOCITY = 33, 112


@dataclass(frozen=True, slots=True)
class Style:
    """How one kind of instrument is played: the performer's presets (seconds, dB, cents, Hz).

    ``sustained`` instruments hold their level and glide inside slurs; the others (plucked,
    struck) decay from the attack: ``decay_s`` is the time to fall 60 dB at middle C, halving
    every two octaves up.
    """

    sustained: bool = True
    attack_s: float = 0.06
    release_s: float = 0.15
    decay_s: float = 4.0
    db_ff: float = -14.0
    db_range: float = 30.0
    accent_db: float = 5.0
    vibrato_depth_cents: float = 0.0
    vibrato_rate_hz: float = 5.5
    vibrato_delay_s: float = 0.25
    glide_s: float = 0.06
    brightness: float = 0.5
    brightness_decay: float = 0.0
    attack_noise: float = 0.6
    sustain_noise: float = 0.2
    strum_s: float = 0.0

    def velocity_to_db(self, velocity: np.ndarray | float) -> np.ndarray:
        """Linear map pp (33) -> ``db_ff - db_range``, ff (112) -> ``db_ff``."""
        v = np.clip(np.asarray(velocity, dtype=np.float64), 1.0, 127.0)
        return self.db_ff - self.db_range * (_FF_VELOCITY - v) / (_FF_VELOCITY - _PP_VELOCITY)


#: Every numeric field of a performer's preset and its accepted range (units: see the file).
_STYLE_RANGES = {
    "attack_s": (0.001, 2.0), "release_s": (0.0, 5.0), "decay_s": (0.05, 60.0), "db_ff": (-60.0, 0.0),
    "db_range": (0.0, 60.0), "accent_db": (0.0, 24.0), "vibrato_depth_cents": (0.0, 200.0),
    "vibrato_rate_hz": (0.0, 12.0), "vibrato_delay_s": (0.0, 5.0), "glide_s": (0.0, 1.0), "brightness": (0.0, 1.0),
    "brightness_decay": (0.0, 1.0), "attack_noise": (0.0, 2.0), "sustain_noise": (0.0, 2.0), "strum_s": (0.0, 0.1),
}  # fmt: skip


def load_styles(path: str | os.PathLike[str] | None = None) -> Mapping[str, Style]:
    """The performer's presets of ``performers.toml`` (package data, read once), or of the file
    at ``path``. A field missing, of the wrong type or out of range raises
    :class:`~partita.errors.PresetError` naming the file, the style and the field.

    >>> load_styles()["bowed"].vibrato_depth_cents, load_styles()["piano"].sustained
    (18, False)
    """
    return load("partita.render", "performers.toml", _parse_styles, path)


def _parse_styles(data: dict, file: str) -> Mapping[str, Style]:
    styles = {}
    for name, raw in table(data, "style", file=file).items():
        e = Entry(file, name, raw)
        kw = e.numbers(_STYLE_RANGES)
        if (sustained := e.flag("sustained", default=None)) is not None:
            kw["sustained"] = sustained
        styles[name] = Style(**kw)
        e.done()
    return MappingProxyType(styles)


#: Performance presets by style (the same style names as :data:`partita.render.timbres.TIMBRES`):
#: ``performers.toml``.
STYLES: Mapping[str, Style] = load_styles()


def velocity_to_db(velocity: float, *, style: str) -> float:
    """Loudness (dB) a velocity means for a style.

    >>> velocity_to_db(112, style="bowed"), velocity_to_db(33, style="bowed")
    (-14.0, -44.0)
    """
    return float(STYLES[style].velocity_to_db(velocity))


@dataclass(frozen=True, slots=True)
class SoundingNote:
    """A note as it sounds: ties merged, chords split, in seconds and in quarters."""

    onset: Fraction
    end: Fraction
    pitch: int
    voice: int  # after chord splitting: (written voice - 1) * 1000 + sub-voice + 1
    velocity: int | None
    articulations: frozenset[str]
    slur: str | None
    vibrato_depth_cents: float | None
    vibrato_rate_hz: float | None
    brightness: float | None


def sounding_notes(part: Part) -> tuple[SoundingNote, ...]:
    """Merge ties and split chords into voices.

    >>> from partita.symbolic.score import Note, Part
    >>> p = Part("p", "Piano", "piano", notes=(Note(0, 1, 60, tie="start"), Note(1, 1, 60, tie="stop"),
    ...                                        Note(0, 1, 64), Note(1, 1, 65)))
    >>> [(n.onset, n.end, n.pitch, n.voice) for n in sounding_notes(p)]
    [(Fraction(0, 1), Fraction(1, 1), 64, 1), (Fraction(0, 1), Fraction(2, 1), 60, 2), (Fraction(1, 1), Fraction(2, 1), 65, 1)]
    """
    # Fractions as dictionary keys and sort keys are slow: keys below hold (numerator,
    # denominator) pairs (a Fraction is kept in lowest terms, so equal pairs are equal values),
    # and sorts compare the float first (monotonic: a smaller float is a smaller Fraction) and
    # the Fraction only where the floats tie -- the same order as sorting by the Fractions
    notes = part.notes
    by_key = {(n.voice, n.pitch, n.onset.numerator, n.onset.denominator): i for i, n in enumerate(notes)}
    used = [False] * len(notes)
    merged: list[tuple[Note, Fraction, frozenset[str], str | None]] = []
    for i, n in enumerate(notes):
        if used[i]:
            continue
        used[i] = True
        end, last = n.end, n
        if n.tie not in ("start", "continue"):
            merged.append((n, end, n.articulations, n.slur))
            continue
        arts = set(n.articulations)
        while last.tie in ("start", "continue"):
            j = by_key.get((last.voice, last.pitch, end.numerator, end.denominator))
            if j is None or used[j]:
                break
            used[j] = True
            last = notes[j]
            end = last.end
            arts |= {a for a in last.articulations if a == "fermata"}
        slur = n.slur
        if last is not n and last.slur in ("start", "continue", "stop"):
            # a slur that continues past the tied chain decides how the chain joins what follows
            slur = "continue" if n.slur in ("start", "continue") else last.slur
        merged.append((n, end, frozenset(arts), slur))
    # split chords: notes of one written voice that start together go, from the top note down,
    # to the first sub-voice that is free by then (a tied note keeps its sub-voice busy)
    groups: dict[tuple[int, int, int], list[int]] = {}
    for k, (n, *_rest) in enumerate(merged):
        groups.setdefault((n.voice, n.onset.numerator, n.onset.denominator), []).append(k)
    busy_until: dict[int, list[Fraction]] = {}
    out = []
    ordered = []
    for (voice, _num, _den), idx in groups.items():
        onset = merged[idx[0]][0].onset
        ordered.append((float(onset), onset, voice, idx))
    ordered.sort(key=lambda g: g[:3])
    for _f, onset, voice, idx in ordered:
        idx.sort(key=lambda k: -merged[k][0].pitch)
        ends = busy_until.setdefault(voice, [])
        for k in idx:
            n, end, arts, slur = merged[k]
            sub = next((j for j, e in enumerate(ends) if e <= onset), None)
            if sub is None:
                sub = len(ends)
                ends.append(end)
            else:
                ends[sub] = end
            out.append(
                SoundingNote(
                    onset=n.onset, end=end, pitch=n.pitch, voice=(voice - 1) * 1000 + sub + 1,
                    velocity=n.velocity, articulations=arts, slur=slur,
                    vibrato_depth_cents=n.vibrato_depth_cents, vibrato_rate_hz=n.vibrato_rate_hz,
                    brightness=n.brightness,
                )
            )  # fmt: skip
    out.sort(key=lambda s: (float(s.onset), s.onset, s.voice))
    return tuple(out)


def level_curve(part: Part, score: Score) -> tuple[np.ndarray, np.ndarray]:
    """The part's dynamic level as a piecewise-linear function of seconds.

    Returns (times_s, velocity) breakpoints for ``np.interp``: steps at dynamic marks (a step
    is two breakpoints at the same time), ramps across hairpins. sf-type marks are accents,
    not levels; ``fp`` sets the level to p (its forte attack is an accent).

    >>> from partita.symbolic.dynamics import Dynamic, Hairpin
    >>> from partita.symbolic.score import Note, Part, Score
    >>> p = Part("v", "Violin", "violin", notes=(Note(0, 8, 60),),
    ...          dynamics=(Dynamic(0, "p"), Dynamic(4, "f")), hairpins=(Hairpin(0, 4, "crescendo"),))
    >>> t, v = level_curve(p, Score(parts=(p,)))
    >>> float(np.interp(1.0, t, v))  # halfway through the hairpin (120 bpm: 2 s = 4 quarters)
    72.5
    """
    tm = score.tempo_map
    marks: list[tuple[Fraction, float]] = []
    for d in part.dynamics:
        if d.mark in _ACCENT_MARKS:
            continue
        marks.append((d.onset, 49.0 if d.mark == "fp" else float(DYNAMIC_VELOCITY[d.mark])))

    def level_at(q: Fraction) -> float:
        value = float(DEFAULT_VELOCITY)
        for onset, v in marks:
            if onset <= q:
                value = v
        return value

    points: list[tuple[float, float]] = [(0.0, level_at(Fraction(0)))]
    ramps = []
    for h in part.hairpins:
        start_v = level_at(h.onset)
        after = [v for onset, v in marks if h.end <= onset <= h.end + 1]
        if after:
            target = after[0]
        else:
            target = start_v + (16.0 if h.kind == "crescendo" else -16.0)
        target = float(np.clip(target, 10.0, 127.0))
        ramps.append((h.onset, h.end, start_v, target))
    events = sorted([(o, "mark", v) for o, v in marks] + [(r[0], "ramp", r) for r in ramps], key=lambda e: e[0])
    current = points[0][1]
    for onset, kind, value in events:
        t = tm.seconds_at(onset)
        if kind == "mark":
            points.append((t, current))
            current = value
            points.append((t, current))
        else:
            _o, end, start_v, target = value
            points.append((t, current))
            points.append((t, start_v))
            t_end = tm.seconds_at(end)
            points.append((t_end, target))
            current = target
            # marks inside the hairpin are overridden by the ramp: skip them
            marks = [(o, v) for o, v in marks if not (_o < o < end)]
    points.append((max(points[-1][0], tm.seconds_at(part.end)) + 3600.0, current))
    points.sort(key=lambda p: p[0])  # stable: steps keep their order
    times = np.array([p[0] for p in points])
    vel = np.array([p[1] for p in points])
    return times, vel


def _accent_marks(part: Part) -> dict[Fraction, list[str]]:
    """Onset -> the accenting dynamic marks there (``sf``, ``sfz``, ``fp``...), in part order."""
    at: dict[Fraction, list[str]] = {}
    for d in part.dynamics:
        if d.mark in _ACCENT_MARKS or d.mark == "fp":
            at.setdefault(Fraction(d.onset), []).append(d.mark)
    return at


def _accent_db(note: SoundingNote, marks: dict[Fraction, list[str]], style: Style) -> float:
    db = 0.0
    if "accent" in note.articulations:
        db = style.accent_db
    if "marcato" in note.articulations:
        db = 1.5 * style.accent_db
    for mark in marks.get(note.onset, ()):
        db = max(db, style.accent_db * (1.6 if mark in ("sfz", "sffz", "sff") else 1.2))
    return db


@dataclass(frozen=True, slots=True)
class _Timed:
    note: SoundingNote
    on_s: float
    off_s: float
    velocity_offset: float  # velocity units added to the level curve (explicit velocity, humanising)
    accent_db: float


def seconds_of(tempo_map: TempoMap) -> Callable[[Fraction], float]:
    """``tempo_map.seconds_at`` (the one clock from beats to seconds) with its answers
    remembered: chords and legato lines ask for the same onsets again and again."""
    return functools.lru_cache(maxsize=None)(tempo_map.seconds_at)


def swung(score: Score) -> bool:
    """Whether the score asks for swung eighths: its first tempo mark's text says "swing" (the
    arranger's swing styles write it) and its meters count in quarters."""
    text = (score.tempo_map.marks[0].text or "") if score.tempo_map.marks else ""
    return "swing" in text.lower() and all(ts.denominator == 4 for ts in score.time_signatures)


def swing_onset(onset: Fraction) -> Fraction:
    """Where a written onset is played in swing: within each quarter, the off-beat eighth moves
    to the third eighth-note triplet (0.5 -> 2/3); positions between scale linearly.

    >>> swing_onset(Fraction(1, 2)), swing_onset(Fraction(5, 4)), swing_onset(Fraction(3))
    (Fraction(2, 3), Fraction(4, 3), Fraction(3, 1))
    """
    beat = Fraction(math.floor(onset))
    x = onset - beat
    return beat + (x * Fraction(4, 3) if x <= Fraction(1, 2) else Fraction(2, 3) + (x - Fraction(1, 2)) * Fraction(2, 3))


def _timed_notes(
    part: Part, score: Score, style: Style, *, seed: int, humanize: float,
    level: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[_Timed]:  # fmt: skip
    seconds_at = seconds_of(score.tempo_map)
    times, vel = level_curve(part, score) if level is None else level
    accents = _accent_marks(part)
    warp = swing_onset if swung(score) else (lambda q: q)
    out = []
    notes = sounding_notes(part)
    strum = _strum_ranks(notes) if style.strum_s > 0 else {}
    ons = [seconds_at(warp(n.onset)) for n in notes]
    # the dynamic level under every note with a velocity of its own, in one call
    with_velocity = [k for k, n in enumerate(notes) if n.velocity is not None]
    level_at = dict(zip(with_velocity, np.interp(np.array([ons[k] for k in with_velocity], dtype=np.float64), times, vel).tolist()))
    for k, n in enumerate(notes):
        on_s = ons[k]
        nominal = seconds_at(warp(n.end)) - on_s
        arts = n.articulations
        if "staccatissimo" in arts:
            dur = nominal * 0.3
        elif "staccato" in arts:
            dur = nominal * 0.5
        elif "tenuto" in arts or not style.sustained or n.slur in ("start", "continue"):
            dur = nominal
        else:
            dur = max(nominal * 0.94, nominal - 0.06)
        if "fermata" in arts:
            dur = max(dur, nominal) * 1.6
        offset = 0.0 if n.velocity is None else n.velocity - level_at[k]
        if humanize > 0:
            rng = np.random.default_rng(phrase_seed(seed, part.id, n.onset, n.voice) ^ 0x5EED)
            shift = float(np.clip(rng.normal(0.0, 0.008 * humanize), -0.03, 0.03))
            on_s = max(0.0, on_s + shift)
            offset += float(np.clip(rng.normal(0.0, 4.0 * humanize), -12, 12))
        delay = strum.get(id(n), 0) * style.strum_s
        accent = _accent_db(n, accents, style) if accents or n.articulations else 0.0
        out.append(_Timed(n, on_s + delay, on_s + max(dur, delay + 0.02), offset, accent))
    return out


def _strum_ranks(notes: Sequence[SoundingNote]) -> dict[int, int]:
    """For the notes of each chord of 3 or more notes (one written voice, one onset): the rank
    of the note from the lowest (0) up, by ``id`` of the note -- a downstroke's order."""
    groups: dict[tuple[int, Fraction], list[SoundingNote]] = {}
    for n in notes:
        groups.setdefault(((n.voice - 1) // 1000, n.onset), []).append(n)
    ranks = {}
    for chord in groups.values():
        if len(chord) >= 3:
            for r, n in enumerate(sorted(chord, key=lambda m: m.pitch)):
                ranks[id(n)] = r
    return ranks


def _phrases(timed: list[_Timed], style: Style) -> list[list[_Timed]]:
    by_voice: dict[int, list[_Timed]] = {}
    for t in timed:
        by_voice.setdefault(t.note.voice, []).append(t)
    phrases = []
    for voice in sorted(by_voice):
        current: list[_Timed] = []
        for t in by_voice[voice]:
            if current:
                prev = current[-1]
                joined = (
                    style.sustained
                    and prev.note.slur in ("start", "continue")
                    and t.note.slur in ("continue", "stop")
                    and prev.note.end == t.note.onset
                )
                if joined:
                    # legato: the previous note holds until this one starts
                    current[-1] = dataclasses.replace(prev, off_s=max(prev.off_s, t.on_s))
                    current.append(t)
                    continue
                phrases.append(current)
            current = [t]
        if current:
            phrases.append(current)
    return phrases


def _phrases_curves(
    phrases: list[list[_Timed]], part: Part, style: Style, level: tuple[np.ndarray, np.ndarray], *,
    frame_rate: float, seed: int,
) -> list[ControlCurves]:  # fmt: skip
    """The curves of every phrase of a part, computed in one kernel call; each phrase's curves
    are views into one array per curve (the phrase's frames: from one frame before its first
    onset to two after its release ends)."""
    if not phrases:
        return []
    release = style.release_s
    flat = [t for ph in phrases for t in ph]
    notes = [t.note for t in flat]
    counts = np.array([len(ph) for ph in phrases])
    note_starts = np.zeros(len(phrases) + 1, dtype=np.int64)
    np.cumsum(counts, out=note_starts[1:])
    on_s = np.array([t.on_s for t in flat], dtype=np.float64)
    first_on = on_s[note_starts[:-1]]
    off = np.maximum.reduceat(np.array([t.off_s for t in flat], dtype=np.float64), note_starts[:-1])
    start_frames = np.maximum(np.floor(first_on * frame_rate).astype(np.int64) - 1, 0)
    end_frames = np.ceil((off + release) * frame_rate).astype(np.int64) + 2
    frame_starts = np.zeros(len(phrases) + 1, dtype=np.int64)
    np.cumsum(end_frames - start_frames, out=frame_starts[1:])

    def per_note(values: list[float | None], default: float) -> np.ndarray:
        return np.array([default if v is None else v for v in values], dtype=np.float64)

    params = np.empty((len(phrases), 15))
    params[:] = [frame_rate, 0.0, 0.0, style.glide_s, style.vibrato_delay_s, style.attack_s, release,
                 float(style.sustained), style.decay_s, style.db_ff, style.db_range, style.brightness_decay,
                 style.attack_noise, style.sustain_noise, SILENCE_DB]  # fmt: skip
    params[:, 1] = first_on
    params[:, 2] = off
    times, vel = level
    total = int(frame_starts[-1])
    f0 = np.empty(total, np.float32)
    loud = np.empty(total, np.float32)
    brightness = np.empty(total, np.float32)
    noise = np.empty(total, np.float32)
    phrases_kernel(
        start_frames, frame_starts, note_starts, on_s,
        np.array([n.pitch for n in notes], dtype=np.float64),
        per_note([n.vibrato_depth_cents for n in notes], style.vibrato_depth_cents),
        per_note([n.vibrato_rate_hz for n in notes], style.vibrato_rate_hz),
        np.array([t.velocity_offset for t in flat], dtype=np.float64),
        np.array([t.accent_db for t in flat], dtype=np.float64),
        per_note([n.brightness for n in notes], style.brightness),
        np.asarray(times, dtype=np.float64), np.asarray(vel, dtype=np.float64), params,
        f0, loud, brightness, noise,
    )  # fmt: skip

    # the kernel's own output: float32, contiguous, finite (the checks are for outside callers)
    out = []
    for k, ph in enumerate(phrases):
        a, b = int(frame_starts[k]), int(frame_starts[k + 1])
        first = ph[0]
        out.append(ControlCurves._trusted(
            part_id=part.id, voice=first.note.voice, start_frame=int(start_frames[k]), frame_rate=float(frame_rate),
            f0_hz=f0[a:b], loudness_db=loud[a:b], brightness=brightness[a:b], noise=noise[a:b],
            seed=phrase_seed(seed, part.id, first.note.onset, first.note.voice),
            onset_s=float(first.on_s), end_s=float(off[k]),
        ))  # fmt: skip
    return out


def perform_part(
    part: Part, score: Score, *, frame_rate: float = FRAME_RATE, seed: int = 0, humanize: float = 0.0,
    style: str | None = None,
) -> tuple[ControlCurves, ...]:  # fmt: skip
    """Control curves of every phrase of one (pitched) part, in onset order.

    Parameters
    ----------
    part, score
        The part and the score it belongs to (its tempo map turns beats into seconds).
    frame_rate
        Control frames per second (Hz).
    seed
        Seed of the noise and of humanisation; each phrase derives its own from (seed, part id,
        onset, voice).
    humanize
        0 (default): exact timing and velocity. 1: micro-timing with an 8 ms standard deviation
        and velocity with 4 units, drawn per note from the seed.
    style
        The performer style (``render/performers.toml``); default: the instrument's
        (:mod:`partita.render.techniques` plays a designed pizzicato ``plucked``).

    Returns
    -------
    tuple of ControlCurves, one per phrase.
    """
    if humanize < 0 or humanize > 4:
        raise ConfigError(f"humanize {humanize} must be between 0 and 4")
    style_name = style or style_of(part.instrument)
    if style_name not in STYLES:
        raise ConfigError(f"part {part.name!r}: {part.instrument} is not a pitched instrument")
    style = STYLES[style_name]
    level = level_curve(part, score)
    timed = _timed_notes(part, score, style, seed=seed, humanize=humanize, level=level)
    curves = _phrases_curves(_phrases(timed, style), part, style, level, frame_rate=frame_rate, seed=seed)
    curves.sort(key=lambda c: (c.start_frame, c.voice))
    return tuple(curves)


def note_times(part: Part, score: Score, *, seed: int = 0, humanize: float = 0.0) -> tuple[tuple[SoundingNote, float, float], ...]:
    """Every sounding note of a part with the seconds the renderer starts and releases it.

    The times are those the synth is driven with: onset from the tempo map (plus the seeded
    micro-timing when ``humanize`` > 0), and the note-off after the articulation's length
    (staccato, tenuto, fermata, breath; the release tail follows it). Drum parts: the notated
    onset and end through the tempo map.

    >>> from partita.symbolic.score import Note, Part, Score
    >>> p = Part("fl", "Flute", "flute", notes=(Note(0, 1, 69, articulations=frozenset({"staccato"})),))
    >>> [(n.pitch, on, off) for n, on, off in note_times(p, Score(parts=(p,)))]
    [(69, 0.0, 0.25)]
    """
    style_name = style_of(part.instrument)
    if style_name not in STYLES:  # drums: hits at the notated times
        seconds_at = seconds_of(score.tempo_map)
        return tuple((n, seconds_at(n.onset), seconds_at(n.end)) for n in sounding_notes(part))
    timed = _timed_notes(part, score, STYLES[style_name], seed=seed, humanize=humanize)
    return tuple((t.note, t.on_s, t.off_s) for t in timed)


def perform(score: Score, *, frame_rate: float = FRAME_RATE, seed: int = 0, humanize: float = 0.0) -> dict[str, tuple[ControlCurves, ...]]:
    """Curves of every pitched part, by part id (drum parts are left to :mod:`~partita.render.drums`)."""
    return {
        p.id: perform_part(p, score, frame_rate=frame_rate, seed=seed, humanize=humanize)
        for p in score.parts
        if style_of(p.instrument) != "drums"
    }


def phrase_spans(curves: Sequence[ControlCurves]) -> list[tuple[float, float]]:
    """(start_s, end_s) of each phrase's curves, release included."""
    return [(c.start_s, c.start_s + c.duration_s) for c in curves]
