"""Control tokens on top of REMI: the composer's vocabulary and its grammar.

The composer's vocabulary is the REMI vocabulary of :class:`~partita.symbolic.tokens.Tokenizer`
(ids ``0 .. n_remi-1``, unchanged) with control tokens appended after it:

================  =========================================================================
``Key_<pc>_<m>``  key: tonic pitch class 0-11 and ``major``/``minor`` (24 tokens)
``Tempo_<k>``     tempo bucket ``k`` of :data:`TEMPO_EDGES_BPM` (quarter notes per minute)
``Role_<r>``      the role of one part: melody, inner, bass, accompaniment, percussion
``Section_<s>``   section type of the bar: intro, verse, pre-chorus, chorus, bridge, break,
                  outro, or ``none`` (a corpus piece without rehearsal marks)
``Energy_<e>``    energy (density) level 0-4 of the bar
``Chord_<pc>_<q>`` chord of the bar: root pitch class and quality (maj, min, dim, aug, 7),
                  or ``Chord_none``
================  =========================================================================

The meter is the REMI ``TimeSig`` token that follows every ``Bar``. A composer sequence::

    sequence := BOS Key Tempo Role{n_parts} cbar* [EOS]
    cbar     := Bar TimeSig Section Energy Chord (Position note+)*
    note     := Program Pitch Velocity Duration

``Role`` tokens come in slot order: the i-th is the role of the part in slot i. Removing the
control tokens (and keeping BOS/EOS) leaves a plain REMI sequence, so
:meth:`ComposerVocab.decode` gives back the Score exactly as :meth:`Tokenizer.decode` does,
plus the :class:`Controls`.

>>> from partita.symbolic.score import Note, Part, Score
>>> cv = ComposerVocab.default()
>>> score = Score(parts=(Part("s", "Soprano", "soprano", (Note(0, 4, 67),)),))
>>> seq, controls = cv.encode(score)
>>> cv.tokens(seq.ids)[:6]
['BOS_None', 'Key_7_major', 'Tempo_4', 'Role_melody', 'Bar_None', 'TimeSig_4/4']
>>> cv.decode(seq)[0] == cv.base.decode(cv.base.encode(score))
True
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from partita.errors import TokenizationError
from partita.symbolic.composer.chords import QUALITIES
from partita.symbolic.composer.planner import ROLES, SECTION_NAMES
from partita.symbolic.score import Score
from partita.symbolic.tokens import Tokenizer
from partita.symbolic.tokens_format import PartLayout, TokenSequence

__all__ = [
    "CONTROL_TYPES",
    "ENERGY_LEVELS",
    "TEMPO_EDGES_BPM",
    "BarControl",
    "ComposerVocab",
    "Controls",
    "analyse_chord",
    "bar_energy",
    "controls_of",
    "controls_of_plan",
    "energy_level",
    "estimate_key",
    "roles_of",
    "tempo_bucket",
]

#: Upper edges of the tempo buckets in bpm (bucket k holds bpm < edge k; the last is open).
TEMPO_EDGES_BPM = (60.0, 76.0, 92.0, 108.0, 126.0, 144.0, 168.0)
ENERGY_LEVELS = 5
#: Onsets per beat per sounding part at the upper edge of energy levels 0-3 (level 4 is above).
ENERGY_EDGES = (0.5, 1.0, 1.6, 2.5)
CONTROL_TYPES = ("Key", "Tempo", "Role", "Section", "Energy", "Chord")
SECTION_TOKENS = SECTION_NAMES + ("none",)
MODES = ("major", "minor")


@dataclass(frozen=True, slots=True)
class BarControl:
    """Controls of one bar: section type (or ``"none"``), energy level 0-4, chord as
    ``(root pitch class, quality)`` or None."""

    section: str = "none"
    energy: int = 2
    chord: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class Controls:
    """Everything the control tokens of one sequence say.

    Parameters
    ----------
    key
        ``(tonic pitch class, "major" | "minor")``.
    tempo
        Tempo bucket 0-7 (see :func:`tempo_bucket`).
    roles
        Role of each part slot, in slot order.
    bars
        One :class:`BarControl` per bar.
    """

    key: tuple[int, str]
    tempo: int
    roles: tuple[str, ...]
    bars: tuple[BarControl, ...]

    def transposed(self, semitones: int) -> Controls:
        """The same controls with key and chords moved by ``semitones``."""
        bars = tuple(
            dataclasses.replace(b, chord=None if b.chord is None else ((b.chord[0] + semitones) % 12, b.chord[1]))
            for b in self.bars
        )
        return dataclasses.replace(self, key=((self.key[0] + semitones) % 12, self.key[1]), bars=bars)


# ---------------------------------------------------------------------------------------------
# Analysis: controls of a score that has none written


def tempo_bucket(bpm: float) -> int:
    """The tempo bucket of ``bpm`` (0: below 60 ... 7: 168 and above).

    >>> tempo_bucket(59.9), tempo_bucket(60), tempo_bucket(200)
    (0, 1, 7)
    """
    return bisect.bisect_right(TEMPO_EDGES_BPM, float(bpm))


def bucket_bpm(bucket: int) -> float:
    """A representative tempo of a bucket (its middle)."""
    edges = (40.0,) + TEMPO_EDGES_BPM + (200.0,)
    return (edges[bucket] + edges[bucket + 1]) / 2


# Krumhansl-Kessler key profiles (Krumhansl 1990), tonic first.
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def _pc_weights(score: Score, start: Fraction | None = None, end: Fraction | None = None) -> np.ndarray:
    w = np.zeros(12)
    for part in score.parts:
        if part.instrument == "drum_kit":
            continue
        for n in part.notes:
            a, b = n.onset, n.end
            if start is not None:
                a, b = max(a, start), min(b, end)
            if b > a:
                w[n.pitch % 12] += float(b - a)
    return w


def estimate_key(score: Score) -> tuple[int, str]:
    """``(tonic pitch class, mode)`` by Krumhansl-Schmuckler correlation of duration-weighted
    pitch classes; a score with no notes is C major.

    >>> from partita.symbolic.score import Note, Part, Score
    >>> notes = tuple(Note(i, 1, p) for i, p in enumerate([57, 60, 64, 69, 64, 60, 57]))
    >>> estimate_key(Score(parts=(Part("p", "P", "piano", notes),)))
    (9, 'minor')
    """
    w = _pc_weights(score)
    if not w.any():
        return 0, "major"
    best, out = -2.0, (0, "major")
    for mode, prof in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(w, np.roll(prof, tonic))[0, 1])
            if r > best + 1e-12:
                best, out = r, (tonic, mode)
    return out


def _key_of(score: Score) -> tuple[int, str]:
    """The first key signature's (tonic, major/minor), else an estimate. Modes other than
    major and minor count by their third (dorian -> minor, mixolydian -> major)."""
    if score.key_signatures:
        ks = score.key_signatures[0]
        mode = "minor" if ks.mode in ("minor", "aeolian", "dorian", "phrygian", "locrian") else "major"
        if ks.mode == "major":
            # a signature's "major" is often just the default: check the relative minor
            tonic, est_mode = estimate_key(score)
            if est_mode == "minor" and tonic == (ks.tonic_pc + 9) % 12:
                return tonic, "minor"
        return ks.tonic_pc, mode
    return estimate_key(score)


def analyse_chord(weights: np.ndarray, bass_pc: int | None = None) -> tuple[int, str] | None:
    """The chord (root pitch class, quality) whose tones best cover duration-weighted pitch
    classes ``weights`` ``float [12]``; None when there is nothing sounding.

    Score: weight of chord tones minus weight of other tones, a small bonus when the lowest
    sounding pitch class is the root. Dominant sevenths need their seventh to win.

    >>> w = np.zeros(12); w[[2, 5, 9]] = 1.0
    >>> analyse_chord(w)
    (2, 'min')
    """
    total = float(weights.sum())
    if total <= 0:
        return None
    best, out = -1e9, None
    for q, (_, ivs) in QUALITIES.items():
        for root in range(12):
            tones = [(root + i) % 12 for i in ivs]
            inside = float(weights[tones].sum())
            score = inside - (total - inside) - (0.15 * total if q in ("aug", "7") else 0.0)
            if q == "dim":
                score -= 0.05 * total
            if bass_pc is not None and bass_pc == root:
                score += 0.1 * total
            if score > best + 1e-9:
                best, out = score, (root, q)
    return out


def bar_energy(n_onsets: int, *, beats: Fraction, n_parts: int) -> int:
    """Energy level 0-4 from note onsets per beat per part (see :data:`ENERGY_EDGES`)."""
    if n_parts <= 0 or beats <= 0:
        return 0
    rate = n_onsets / float(beats) / n_parts
    return bisect.bisect_right(ENERGY_EDGES, rate)


def roles_of(score: Score) -> tuple[str, ...]:
    """A role per part: drum kit -> percussion; with several pitched parts, the highest mean
    pitch is the melody and the lowest the bass; a pitched part that plays chords more than a
    third of the time (piano, guitar, harp) -> accompaniment; the rest -> inner."""
    from partita import instruments

    means = []
    for p in score.parts:
        inst = instruments.get(p.instrument)
        means.append(None if inst.percussion or not p.notes else float(np.mean([n.pitch for n in p.notes])))
    pitched = [i for i, m in enumerate(means) if m is not None]
    roles = []
    top = max(pitched, key=lambda i: means[i]) if pitched else None
    low = min(pitched, key=lambda i: means[i]) if len(pitched) > 1 else None
    for i, p in enumerate(score.parts):
        inst = instruments.get(p.instrument)
        if inst.percussion:
            roles.append("percussion")
        elif i == top:
            roles.append("melody")
        elif i == low:
            roles.append("bass")
        else:
            onsets: dict[Fraction, int] = {}
            for n in p.notes:
                onsets[n.onset] = onsets.get(n.onset, 0) + 1
            chordal = sum(1 for c in onsets.values() if c > 1) > len(onsets) / 3 if onsets else False
            roles.append("accompaniment" if chordal else "inner")
    return tuple(roles)


def controls_of(score: Score, *, n_bars: int | None = None) -> Controls:
    """Controls measured from a score: key (signature or estimate), tempo bucket at the start,
    roles, and per bar the rehearsal-mark section (``none`` when unnamed or not a known section
    type), the energy level and the chord. Bars count in token time (a pickup shifted into a
    whole first bar, as the tokenizer does)."""
    shift = score.time_signatures[0].bar_length - score.pickup if score.pickup else Fraction(0)
    # bar starts in token time
    starts: list[Fraction] = []
    ts_list = list(score.time_signatures)
    t = Fraction(0)
    end = score.end + shift
    ts_onsets = [Fraction(0)] + [ts.onset + shift for ts in ts_list[1:]]
    while t < end or not starts:
        starts.append(t)
        i = bisect.bisect_right(ts_onsets, t) - 1
        t += ts_list[i].bar_length
    if n_bars is not None:
        while len(starts) < n_bars:
            i = bisect.bisect_right(ts_onsets, t) - 1
            starts.append(t)
            t += ts_list[i].bar_length
        starts = starts[:n_bars]
    bounds = starts + [t if n_bars is None or len(starts) == n_bars else starts[-1]]
    bounds[-1] = max(bounds[-1], t)
    sec_onsets = [s.onset + shift for s in score.sections]
    n_parts = max(1, sum(1 for p in score.parts if p.notes))
    pitched = [p for p in score.parts if p.instrument != "drum_kit"]
    # per part: shifted onsets and ends once, and the notes in onset order, so each bar looks
    # only at the notes that can reach it (onset in (bar start - longest note, bar end))
    spans = []
    for p in pitched:
        ons = [n.onset + shift for n in p.notes]
        offs = [n.end + shift for n in p.notes]
        order = sorted(range(len(ons)), key=ons.__getitem__)
        longest = max((offs[i] - ons[i] for i in order), default=Fraction(0))
        spans.append((p.notes, ons, offs, order, [ons[i] for i in order], longest))
    bars = []
    for b, a in enumerate(starts):
        z = bounds[b + 1] if b + 1 < len(bounds) else a + ts_list[-1].bar_length
        i = bisect.bisect_right(sec_onsets, a) - 1
        name = score.sections[i].name.strip().lower().replace(" ", "-") if i >= 0 else "none"
        section = name if name in SECTION_NAMES else "none"
        onsets = 0
        w = np.zeros(12)
        bass = None
        for notes, ons, offs, order, sorted_ons, longest in spans:
            lo_i = bisect.bisect_left(sorted_ons, a - longest)
            hi_i = bisect.bisect_left(sorted_ons, z)
            for j in sorted(order[lo_i:hi_i]):  # the part's own order, as the sums were made
                n, on, off = notes[j], ons[j], offs[j]
                if a <= on < z:
                    onsets += 1
                lo, hi = max(on, a), min(off, z)
                if hi > lo:
                    w[n.pitch % 12] += float(hi - lo)
                    if bass is None or n.pitch < bass:
                        bass = n.pitch
        ts = ts_list[bisect.bisect_right(ts_onsets, a) - 1]
        energy = bar_energy(onsets, beats=(z - a) / ts.beat_length, n_parts=n_parts)
        chord = analyse_chord(w, None if bass is None else bass % 12)
        bars.append(BarControl(section, energy, chord))
    return Controls(_key_of(score), tempo_bucket(score.tempo_map.bpm_at(Fraction(0))), roles_of(score), tuple(bars))


# ---------------------------------------------------------------------------------------------
# The vocabulary


class ComposerVocab:
    """REMI ids of ``base`` followed by the control tokens.

    Parameters
    ----------
    base
        The REMI tokenizer (default: the shipped one).
    """

    def __init__(self, base: Tokenizer | None = None) -> None:
        self.base = base or Tokenizer.default()
        self.n_remi = self.base.vocab_size
        names: list[str] = []
        names += [f"Key_{pc}_{m}" for m in MODES for pc in range(12)]
        names += [f"Tempo_{k}" for k in range(len(TEMPO_EDGES_BPM) + 1)]
        names += [f"Role_{r}" for r in ROLES]
        names += [f"Section_{s}" for s in SECTION_TOKENS]
        names += [f"Energy_{e}" for e in range(ENERGY_LEVELS)]
        names += [f"Chord_{pc}_{q}" for q in QUALITIES for pc in range(12)] + ["Chord_none"]
        self.control_names = tuple(names)
        self._id = {s: self.n_remi + i for i, s in enumerate(names)}
        self._id.update(self.base.vocab)
        self._strings = {i: s for s, i in self._id.items()}
        self.vocab_size = self.n_remi + len(names)
        kinds = np.array([self.token_type(i) for i in range(self.vocab_size)])
        self.is_control = np.isin(kinds, CONTROL_TYPES)
        self.type_ids = {k: np.flatnonzero(kinds == k) for k in set(kinds.tolist())}
        self.bos = self._id["BOS_None"]
        self.eos = self._id["EOS_None"]
        self.pad = self._id["PAD_None"]
        self.bar = self._id["Bar_None"]
        # transposition tables: id -> id moved by k semitones (-1: falls outside)
        self._pitch_value = np.full(self.vocab_size, -1)
        for i in self.type_ids["Pitch"]:
            self._pitch_value[i] = self.base.token_value(int(i))

    @classmethod
    def default(cls) -> ComposerVocab:
        """The vocabulary over the shipped tokenizer."""
        return _default_vocab()

    # -- ids and strings -------------------------------------------------------------------------

    def id(self, token: str) -> int:
        """Id of a token string (``"Chord_2_min"``, ``"Pitch_60"``)."""
        try:
            return self._id[token]
        except KeyError:
            raise TokenizationError(f"token {token!r} is not in the composer vocabulary") from None

    def token_string(self, token_id: int) -> str:
        """String of an id."""
        try:
            return self._strings[int(token_id)]
        except (KeyError, TypeError, ValueError):
            raise TokenizationError(f"token id {token_id!r} is outside the vocabulary of {self.vocab_size}") from None

    def token_type(self, token_id: int) -> str:
        """The token type (REMI types, specials, or one of :data:`CONTROL_TYPES`)."""
        return self.token_string(token_id).split("_", 1)[0]

    def tokens(self, ids: Iterable[int]) -> list[str]:
        """Strings of ids."""
        return [self.token_string(i) for i in ids]

    def key_id(self, key: tuple[int, str]) -> int:
        return self._id[f"Key_{key[0] % 12}_{key[1]}"]

    def tempo_id(self, bucket: int) -> int:
        return self._id[f"Tempo_{bucket}"]

    def role_id(self, role: str) -> int:
        return self.id(f"Role_{role}")

    def section_id(self, section: str) -> int:
        return self.id(f"Section_{section}")

    def energy_id(self, level: int) -> int:
        return self.id(f"Energy_{min(ENERGY_LEVELS - 1, max(0, int(level)))}")

    def chord_id(self, chord: tuple[int, str] | None) -> int:
        return self._id["Chord_none"] if chord is None else self.id(f"Chord_{chord[0] % 12}_{chord[1]}")

    def header_ids(self, controls: Controls) -> list[int]:
        """``BOS Key Tempo Role...`` of a sequence."""
        return [self.bos, self.key_id(controls.key), self.tempo_id(controls.tempo)] + [
            self.role_id(r) for r in controls.roles
        ]

    def bar_control_ids(self, bc: BarControl) -> list[int]:
        """``Section Energy Chord`` of one bar."""
        return [self.section_id(bc.section), self.energy_id(bc.energy), self.chord_id(bc.chord)]

    # -- sequences ---------------------------------------------------------------------------------

    def encode(
        self, score: Score, controls: Controls | None = None, *, strict: bool = True, eos: bool = True
    ) -> tuple[TokenSequence, Controls]:
        """Composer ids of ``score`` with ``controls`` (measured by :func:`controls_of` when not
        given) woven in. Returns the sequence (``ids`` in this vocabulary, the rest as the REMI
        tokenizer gives it) and the controls used.

        Raises
        ------
        TokenizationError
            Off-grid notes with ``strict``; controls with fewer bars or roles than the score.
        """
        remi = self.base.encode(score, strict=strict)
        n_bars = sum(1 for i in remi.ids if i == self.bar)
        if controls is None:
            controls = controls_of(score, n_bars=n_bars)
        if len(controls.roles) != len(score.parts):
            raise TokenizationError(f"{len(controls.roles)} roles for {len(score.parts)} parts")
        if len(controls.bars) < n_bars:
            raise TokenizationError(f"controls for {len(controls.bars)} bars; the score has {n_bars}")
        ids = self.header_ids(controls)
        bar = -1
        timesig = self.type_ids["TimeSig"]
        for i in remi.ids:
            if i in (self.bos, self.eos, self.pad):
                continue
            ids.append(i)
            if i == self.bar:
                bar += 1
            elif i in timesig:
                ids.extend(self.bar_control_ids(controls.bars[bar]))
        if eos:
            ids.append(self.eos)
        return dataclasses.replace(remi, ids=tuple(ids)), controls

    def split(self, ids: Sequence[int], n_parts: int | None = None) -> tuple[list[int], Controls]:
        """REMI ids (controls removed) and the :class:`Controls` of a composer sequence.

        Raises
        ------
        TokenizationError
            Control tokens out of place (the grammar in the module docstring).
        """
        remi: list[int] = []
        key, tempo, roles, bars = None, None, [], []
        cur: dict[str, Any] | None = None
        for pos, i in enumerate(ids):
            s = self.token_string(i)
            kind, _, val = s.partition("_")
            if kind not in CONTROL_TYPES:
                if kind == "Bar":
                    if cur is not None:
                        bars.append(_bar_control(cur))
                    cur = {}
                remi.append(int(i))
                continue
            if kind == "Key" and cur is None and key is None:
                pc, mode = val.split("_")
                key = (int(pc), mode)
            elif kind == "Tempo" and cur is None and tempo is None:
                tempo = int(val)
            elif kind == "Role" and cur is None:
                roles.append(val)
            elif kind in ("Section", "Energy", "Chord") and cur is not None and kind not in cur:
                cur[kind] = val
            else:
                raise TokenizationError(f"control token {s} is out of place at token {pos}")
        if cur is not None:
            bars.append(_bar_control(cur))
        if key is None or tempo is None:
            raise TokenizationError("the sequence has no Key and Tempo header")
        if n_parts is not None and len(roles) != n_parts:
            raise TokenizationError(f"the header names {len(roles)} roles for {n_parts} parts")
        return remi, Controls(key, tempo, tuple(roles), tuple(bars))

    def decode(self, seq: TokenSequence) -> tuple[Score, Controls]:
        """The Score and the Controls of a composer sequence (``seq.ids`` in this vocabulary)."""
        remi, controls = self.split(seq.ids, len(seq.layout.slots))
        return self.base.decode(dataclasses.replace(seq, ids=tuple(remi))), controls

    def transpose_ids(self, ids: np.ndarray, semitones: int) -> np.ndarray | None:
        """Ids with every Pitch, Key and Chord moved by ``semitones``; None when a pitch
        would leave the tokenizer's range. ``ids``: int [n]."""
        ids = np.asarray(ids)
        if semitones == 0:
            return ids.copy()
        out = ids.copy()
        tab = self._transpose_table(semitones)
        out = tab[ids]
        if (out < 0).any():
            return None
        return out

    @functools.lru_cache(maxsize=32)  # noqa: B019 - one table per shift, vocab lives long
    def _transpose_table(self, k: int) -> np.ndarray:
        tab = np.arange(self.vocab_size)
        lo, hi = self.base.config.pitch_range
        for i in self.type_ids["Pitch"]:
            p = self._pitch_value[i] + k
            tab[i] = self._id[f"Pitch_{p}"] if lo <= p <= hi else -1
        for i in self.type_ids["Key"]:
            _, pc, mode = self._strings[int(i)].split("_")
            tab[i] = self._id[f"Key_{(int(pc) + k) % 12}_{mode}"]
        for i in self.type_ids["Chord"]:
            s = self._strings[int(i)]
            if s != "Chord_none":
                _, pc, q = s.split("_")
                tab[i] = self._id[f"Chord_{(int(pc) + k) % 12}_{q}"]
        return tab


def _bar_control(cur: Mapping[str, str]) -> BarControl:
    chord = cur.get("Chord", "none")
    if chord == "none":
        c = None
    else:
        pc, q = chord.split("_")
        c = (int(pc), q)
    return BarControl(cur.get("Section", "none"), int(cur.get("Energy", 2)), c)


@functools.lru_cache(maxsize=1)
def _default_vocab() -> ComposerVocab:
    return ComposerVocab()


def layout_of_plan(plan: Any) -> PartLayout:
    """The :class:`PartLayout` of a plan's instrumentation."""
    from partita.symbolic.tokens_format import PartSlot

    return PartLayout(tuple(PartSlot(p.id, p.name, p.instrument) for p in plan.instrumentation))


def energy_level(energy: float, shares: Sequence[float] | None = None) -> int:
    """The ``Energy`` level (0-4) of a plan section's ``energy`` (0-1). Without ``shares``, the
    plan's scale cut in five equal steps. With ``shares`` (each level's share of the bars of a
    style's reference pieces in the plan's meter: its corpus statistics), the energy is read as
    a quantile of that distribution, so a section asks only for densities the style writes: a
    jig's loudest section asks for the level of its busiest bars, not for the level above every
    O'Neill jig (where the model had learned sixteenth-note runs from other collections).

    >>> energy_level(0.95), energy_level(0.95, [0.06, 0.37, 0.56, 0.01, 0.0])
    (4, 2)
    >>> energy_level(0.35, [0.06, 0.37, 0.56, 0.01, 0.0]), energy_level(0.0, [0.0, 0.2, 0.8, 0.0, 0.0])
    (1, 1)
    """
    if shares is None:
        return min(ENERGY_LEVELS - 1, int(energy * ENERGY_LEVELS))
    w = np.asarray(shares, dtype=np.float64)
    if len(w) != ENERGY_LEVELS or w.sum() <= 0:
        raise ValueError(f"energy shares must be {ENERGY_LEVELS} non-negative numbers with a positive sum")
    cum = np.cumsum(w / w.sum())
    used = np.flatnonzero(w > 0)
    level = int(np.searchsorted(cum, min(max(float(energy), 0.0), 1.0) - 1e-9))
    return int(min(max(level, used[0]), used[-1]))


def controls_of_plan(plan: Any, energy_shares: Sequence[float] | None = None) -> Controls:
    """The controls a :class:`~partita.symbolic.composer.planner.Plan` asks for; ``energy_shares``:
    the style's energy levels in the plan's meter (:func:`energy_level`; None: the plain scale)."""
    from partita.symbolic.composer.chords import chord_root_quality

    bars = []
    for s in plan.sections:
        level = energy_level(s.energy, energy_shares)
        for c in s.chords:
            bars.append(BarControl(s.name, level, chord_root_quality(c)))
    return Controls(
        (plan.tonic_pc, plan.mode),
        tempo_bucket(plan.tempo_bpm),
        tuple(p.role for p in plan.instrumentation),
        tuple(bars),
    )
