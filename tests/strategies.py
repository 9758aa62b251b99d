"""Hypothesis strategies for random, valid partita scores.

Every engineer's round-trip test draws its scores from here, so the knobs say what each format
keeps: a MusicXML test takes the defaults (everything the Score model holds), a MIDI or REMI test
turns off what it cannot hold::

    from hypothesis import given
    from tests.strategies import scores

    @given(scores(max_parts=2, notation=False, expression=False, spelling=False))
    def test_midi_round_trip(score): ...

What the scores look like
-------------------------
- 1-``max_parts`` parts with distinct ids; instruments drawn from ``instruments`` (default: a mix
  of strings, winds, voice, piano and the transposing clarinet, trumpet and horn), possibly
  repeated; pitches inside each instrument's comfortable sounding range.
- 1-``max_bars`` bars (plus a pickup bar sometimes), meters from ``meters`` changing on bar
  lines, keys changing on bar lines, tempo marks on the grid.
- Each bar of each voice is filled with notes and rests whose durations come from ``grid`` (and
  triplet groups filling one quarter when ``triplets``); nothing crosses a bar line, every
  duration is one notatable value (dotted or a triplet), so writers need not split notes.
- Chords in a voice (not on monophonic instruments), a second voice sometimes, ties between
  adjacent notes of the same pitch and voice, slurs over runs of notes in a voice (start,
  continue on every note between, stop), articulations, lyrics, dynamics and hairpins (from a
  note's onset to a later note's end in the same part), sections, chord symbols from
  :data:`CHORD_FIGURES`, spelled or unspelled pitches, explicit or ``None`` velocities and
  expression overrides.
- Notes of one chord share articulations, slur, lyric; each has its own tie, velocity,
  spelling and expression overrides.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from hypothesis import strategies as st

from partita import instruments as catalog
from partita.symbolic.dynamics import DYNAMIC_MARKS, Dynamic, Hairpin
from partita.symbolic.pitch import KeySignature, spell_pitch
from partita.symbolic.score import ARTICULATIONS, ChordSymbol, Note, Part, Score, Section
from partita.symbolic.timeline import TempoMap, TempoMark, TimeSignature

__all__ = [
    "CHORD_FIGURES",
    "DEFAULT_GRID",
    "DEFAULT_INSTRUMENTS",
    "DEFAULT_METERS",
    "TRANSPOSING_INSTRUMENTS",
    "scores",
]

#: Plain note values a bar is filled with (quarter-lengths), each one notatable value.
DEFAULT_GRID: tuple[Fraction, ...] = tuple(
    Fraction(x) for x in ("4", "3", "2", "3/2", "1", "3/4", "1/2", "1/4")
)
#: Triplet groups, each filling one quarter.
TRIPLET_GROUPS: tuple[tuple[Fraction, ...], ...] = (
    (Fraction(1, 3),) * 3,
    (Fraction(2, 3), Fraction(1, 3)),
    (Fraction(1, 3), Fraction(2, 3)),
)
DEFAULT_METERS: tuple[tuple[int, int], ...] = ((4, 4), (3, 4), (2, 4), (6, 8), (3, 8), (5, 4), (2, 2))
TRANSPOSING_INSTRUMENTS = ("clarinet", "trumpet", "horn")
DEFAULT_INSTRUMENTS = (
    "violin", "viola", "cello", "flute", "oboe", "bassoon", "piano", "soprano", "trombone",
) + TRANSPOSING_INSTRUMENTS  # fmt: skip
#: Chord symbols that music21 writes to MusicXML and reads back with the same figure.
CHORD_FIGURES = (
    "C", "Am", "Am7", "G7", "Cmaj7", "F/C", "Bb", "Eb", "Ab", "Bdim", "C+", "D9", "Em/G", "C6",
    "Csus2", "G7/B", "Dm9", "Cm6", "F#m", "Bb7", "Ebmaj7", "C#m7", "Fm", "Gm7", "A7", "D/F#",
)  # fmt: skip
SECTION_NAMES = ("A", "B", "Intro", "Verse", "Chorus", "Bridge", "Coda")
LYRICS = ("la", "Ky", "ri", "e", "glo", "ri", "a", "sing", "love", "night")
TEMPO_TEXTS = (None, None, "Allegro", "Adagio", "a tempo", "Moderato")
MODES = ("major", "major", "minor", "minor", "dorian", "mixolydian")
METADATA_FIELDS = {
    "composer": ("J. S. Bach", "Anon.", "Clara Schumann"),
    "lyricist": ("Anon.", "W. Blake"),
    "arranger": ("partita",),
    "copyright": ("Public domain", "CC0 1.0"),
    "source": ("tests", "music21 corpus"),
    "licence": ("CC0-1.0", "Apache-2.0"),
}
TITLES = ("", "Sketch", "Fugue in C", "Étude No. 3", "Song & Dance")


def _fill(draw, length: Fraction, grid: Sequence[Fraction], triplets: bool) -> list[Fraction]:
    """Durations, summing to ``length``, of events that keep to the grid."""
    out: list[Fraction] = []
    left = length
    quarter_aligned = True
    while left > 0:
        plain = [d for d in grid if d <= left]
        options: list[tuple[Fraction, ...]] = [(d,) for d in plain]
        if triplets and left >= 1 and quarter_aligned:
            options += list(TRIPLET_GROUPS)
        if not options:  # the grid cannot fill what is left: hold it as one value
            options = [(left,)]
        chunk = draw(st.sampled_from(options))
        out.extend(chunk)
        left -= sum(chunk)
        quarter_aligned = (length - left) % 1 == 0
    return out


@st.composite
def _voice_events(draw, bars, grid, triplets, rest_weight):
    """[(onset, duration, is_note)] over all bars for one voice."""
    events = []
    for start, end in bars:
        t = start
        for d in _fill(draw, end - start, grid, triplets):
            events.append((t, d, draw(st.integers(0, 99)) >= rest_weight))
            t += d
    return events


@st.composite
def scores(
    draw,
    max_parts: int = 4,
    *,
    min_parts: int = 1,
    max_bars: int = 4,
    instruments: Sequence[str] | None = None,
    grid: Sequence[Fraction] = DEFAULT_GRID,
    triplets: bool = True,
    meters: Sequence[tuple[int, int]] = DEFAULT_METERS,
    meter_changes: bool = True,
    key_changes: bool = True,
    keys: bool = True,
    tempo_changes: bool = True,
    pickup: bool = True,
    chords: bool = True,
    voices: bool = True,
    ties: bool = True,
    notation: bool = True,
    expression: bool = True,
    spelling: bool = True,
    metadata: bool = True,
) -> Score:
    """A random valid :class:`~partita.symbolic.score.Score`.

    Parameters
    ----------
    max_parts, min_parts
        How many parts (distinct ids ``p1``, ``p2``, ...).
    max_bars
        Full bars after the optional pickup bar (at least one).
    instruments
        Instrument ids to draw from (repeats allowed). Default :data:`DEFAULT_INSTRUMENTS`,
        which includes the transposing clarinet, trumpet and horn.
    grid
        Plain note values (quarter-lengths) bars are filled with.
    triplets
        Also fill quarters with triplet groups (1/3 + 1/3 + 1/3, 2/3 + 1/3, 1/3 + 2/3).
    meters, meter_changes
        (numerator, denominator) pairs to draw meters from; whether the meter may change.
    keys, key_changes
        Whether there are key signatures; whether they may change.
    tempo_changes
        Tempo marks after the first one (the first mark is always at 0).
    pickup
        Whether the score may start with a pickup bar.
    chords, voices, ties
        Chords within a voice; a second voice; ties between adjacent same-pitch notes.
    notation
        Articulations, slurs, lyrics, dynamics, hairpins, sections, chord symbols, tempo texts.
    expression
        Explicit velocities (or ``None``) and vibrato / brightness overrides.
    spelling
        Spelled pitches (else every spelling is ``None``).
    metadata
        Title and metadata fields (else an untitled score with no metadata).
    """
    pool = tuple(instruments or DEFAULT_INSTRUMENTS)
    n_parts = draw(st.integers(min_parts, max_parts))
    n_bars = draw(st.integers(1, max_bars))

    # meters, bars and pickup
    first = draw(st.sampled_from(meters))
    bar_meters = [first]
    for _ in range(n_bars - 1):
        change = meter_changes and draw(st.integers(0, 3)) == 0
        bar_meters.append(draw(st.sampled_from(meters)) if change else bar_meters[-1])
    first_ts = TimeSignature(0, *first)
    pickup_ql = Fraction(0)
    if pickup and draw(st.integers(0, 3)) == 0:
        choices = [k * first_ts.beat_length for k in range(1, first[0])]
        choices = [c for c in choices if c < first_ts.bar_length] or [first_ts.bar_length / 2]
        pickup_ql = draw(st.sampled_from(choices))
    bars: list[tuple[Fraction, Fraction]] = []
    t = Fraction(0)
    if pickup_ql:
        bars.append((t, pickup_ql))
        t = pickup_ql
    time_signatures = [first_ts]
    for i, m in enumerate(bar_meters):
        ts = TimeSignature(t, *m)
        if i and m != bar_meters[i - 1]:
            time_signatures.append(ts)
        bars.append((t, t + ts.bar_length))
        t += ts.bar_length
    end = t
    full_bar_starts = [b[0] for b in bars if not (pickup_ql and b[0] == 0)]

    # score-wide marks
    key_signatures = []
    if keys and draw(st.booleans()):
        starts = [Fraction(0)] + (full_bar_starts[1:] if key_changes else [])
        for s in starts:
            if s == 0 or draw(st.integers(0, 3)) == 0:
                key_signatures.append(
                    KeySignature(s, draw(st.integers(-4, 4)), draw(st.sampled_from(MODES)))
                )
    grid_onsets = st.integers(0, int(end * 4) - 1).map(lambda k: Fraction(k, 4))
    texts = TEMPO_TEXTS if notation else (None,)
    marks = [TempoMark(0, draw(st.integers(40, 200)), draw(st.sampled_from(texts)))]
    if tempo_changes:
        for onset in draw(st.sets(grid_onsets, max_size=2)):
            if onset:
                bpm = draw(st.integers(40, 200)) + draw(st.sampled_from((0, 0, 0.5)))
                marks.append(TempoMark(onset, bpm, draw(st.sampled_from(texts))))
    sections, chord_symbols = [], []
    if notation:
        for onset in sorted(draw(st.sets(st.sampled_from(full_bar_starts), max_size=2))):
            sections.append(Section(onset, draw(st.sampled_from(SECTION_NAMES))))
        for onset in sorted(draw(st.sets(grid_onsets, max_size=3))):
            chord_symbols.append(ChordSymbol(onset, draw(st.sampled_from(CHORD_FIGURES))))

    parts = []
    for index in range(n_parts):
        inst = catalog.get(draw(st.sampled_from(pool)))
        parts.append(
            draw(
                _parts(
                    index=index, inst=inst, bars=bars, grid=grid, triplets=triplets,
                    key_signatures=key_signatures, chords=chords and not inst.monophonic,
                    voices=voices, ties=ties, notation=notation, expression=expression,
                    spelling=spelling, end=end,
                )
            )
        )  # fmt: skip

    title, meta = "", {}
    if metadata:
        title = draw(st.sampled_from(TITLES))
        for key in draw(st.sets(st.sampled_from(sorted(METADATA_FIELDS)), max_size=3)):
            meta[key] = draw(st.sampled_from(METADATA_FIELDS[key]))
    return Score(
        title=title,
        parts=tuple(parts),
        tempo_map=TempoMap(tuple(marks)),
        time_signatures=tuple(time_signatures),
        key_signatures=tuple(key_signatures),
        sections=tuple(sections),
        chords=tuple(chord_symbols),
        pickup=pickup_ql,
        metadata=meta,
    )


def _key_fifths(key_signatures, onset):
    fifths = 0
    for k in key_signatures:
        if k.onset <= onset:
            fifths = k.fifths
    return fifths


@st.composite
def _parts(
    draw, *, index, inst, bars, grid, triplets, key_signatures, chords, voices, ties, notation,
    expression, spelling, end,
):  # fmt: skip
    low, high = inst.comfortable_range
    pitches = st.integers(low, high)
    n_voices = 2 if voices and draw(st.integers(0, 3)) == 0 else 1
    notes: list[Note] = []
    note_events: list[tuple[Fraction, Fraction, int]] = []  # (onset, end, voice) of note events
    for voice in range(1, n_voices + 1):
        events = draw(_voice_events(bars, grid, triplets, 25 if voice == 1 else 50))
        # pitches per event, with ties decided against the previous event
        voice_pitches: list[list[int] | None] = []
        tie_next: list[set[int]] = []  # pitches of event i tied into event i + 1
        prev_end, prev = None, None
        for onset, dur, is_note in events:
            if not is_note:
                voice_pitches.append(None)
                tie_next.append(set())
                prev = None
                continue
            size = draw(st.integers(1, 3)) if chords and draw(st.integers(0, 3)) == 0 else 1
            chosen: list[int] = []
            if prev and ties and prev_end == onset and draw(st.integers(0, 2)) == 0:
                chosen.append(draw(st.sampled_from(prev)))  # repeat a pitch to tie it
            while len(chosen) < size:
                p = draw(pitches)
                if p not in chosen:
                    chosen.append(p)
                elif draw(st.booleans()):
                    break
            if prev:
                tied = {p for p in chosen if p in prev and ties and draw(st.booleans())}
                tie_next[-1] = tied
            voice_pitches.append(chosen)
            tie_next.append(set())
            prev, prev_end = chosen, onset + dur
        # slurs: runs of note events
        note_idx = [i for i, ps in enumerate(voice_pitches) if ps]
        slur_of: dict[int, str] = {}
        if notation and len(note_idx) >= 2:
            j = 0
            while j < len(note_idx) - 1:
                if draw(st.integers(0, 3)) == 0:
                    k = draw(st.integers(j + 1, min(j + 4, len(note_idx) - 1)))
                    slur_of[note_idx[j]] = "start"
                    for m in note_idx[j + 1 : k]:
                        slur_of[m] = "continue"
                    slur_of[note_idx[k]] = "stop"
                    j = k + 1
                else:
                    j += 1
        for i, (onset, dur, _) in enumerate(events):
            ps = voice_pitches[i]
            if not ps:
                continue
            note_events.append((onset, onset + dur, voice))
            arts = frozenset()
            lyric = None
            if notation:
                if draw(st.integers(0, 2)) == 0:
                    arts = frozenset(draw(st.sets(st.sampled_from(sorted(ARTICULATIONS)), max_size=2)))
                if voice == 1 and draw(st.integers(0, 2)) == 0:
                    lyric = draw(st.sampled_from(LYRICS))
            for p in ps:
                tied_in = i > 0 and p in tie_next[i - 1]
                tied_out = p in tie_next[i]
                tie = {(False, True): "start", (True, True): "continue", (True, False): "stop"}.get(
                    (tied_in, tied_out)
                )
                spelled = None
                if spelling and draw(st.integers(0, 3)) > 0:
                    fifths = _key_fifths(key_signatures, onset)
                    if draw(st.integers(0, 3)) == 0:  # the other enharmonic sometimes
                        fifths = -1 if fifths >= 0 else 1
                    spelled = spell_pitch(p, fifths=fifths)
                extras = {}
                if expression:
                    if draw(st.booleans()):
                        extras["velocity"] = draw(st.integers(1, 127))
                    if draw(st.integers(0, 3)) == 0:
                        extras["vibrato_depth_cents"] = draw(st.floats(0, 200, allow_nan=False))
                        extras["vibrato_rate_hz"] = draw(st.one_of(st.none(), st.floats(0, 20)))
                        extras["brightness"] = draw(st.one_of(st.none(), st.floats(0, 1)))
                notes.append(
                    Note(
                        onset=onset, duration=dur, pitch=p, spelling=spelled, articulations=arts,
                        tie=tie, slur=slur_of.get(i), voice=voice, lyric=lyric, **extras,
                    )
                )  # fmt: skip

    dynamics, hairpins = [], []
    if notation and note_events:
        onsets = sorted({e[0] for e in note_events})
        for onset in sorted(draw(st.sets(st.sampled_from(onsets), max_size=3))):
            dynamics.append(Dynamic(onset, draw(st.sampled_from(sorted(DYNAMIC_MARKS)))))
        if draw(st.booleans()):
            # one hairpin from a note's onset to the end of a later (or the same) note
            voice1 = sorted(e for e in note_events if e[2] == 1)
            if voice1:
                a = draw(st.integers(0, len(voice1) - 1))
                b = draw(st.integers(a, min(a + 5, len(voice1) - 1)))
                kind = draw(st.sampled_from(("crescendo", "diminuendo")))
                hairpins.append(Hairpin(voice1[a][0], voice1[b][1], kind))

    inst_name = inst.name
    name = draw(st.sampled_from((inst_name, f"{inst_name} {index + 1}", f"Part {index + 1}")))
    return Part(
        id=f"p{index + 1}", name=name, instrument=inst.id, notes=tuple(notes),
        dynamics=tuple(dynamics), hairpins=tuple(hairpins),
    )  # fmt: skip
