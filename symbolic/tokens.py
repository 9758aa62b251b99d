"""REMI tokens: a Score as a sequence of token ids and back, through miditok's REMI.

All parts share one interleaved token stream. Each note's ``Program`` token carries the part's
*slot* (its index in the score: 0 for the first part), not its General MIDI program, so four
string parts that share one program keep their identity. What tokens do not hold travels
beside the ids in a :class:`~partita.symbolic.tokens_format.TokenSequence` (its module also
holds the :class:`~partita.symbolic.tokens_format.TokenizerConfig`): the
:class:`~partita.symbolic.tokens_format.PartLayout` (id, name and instrument of each slot) and
the score's title, tempo marks, key signatures, sections and pickup.

The grammar of a sequence
-------------------------
::

    sequence := [BOS] bar* [EOS]
    bar      := Bar TimeSig (Position note+)*
    note     := Program Pitch Velocity Duration

* ``Bar`` opens every bar, empty ones included; ``TimeSig_n/d`` follows every ``Bar``.
* ``Position_k``: the onset ``k`` steps after the bar line, ``positions_per_beat`` (24) steps
  to the meter's beat (its denominator's note value), so ``0 <= k < n * 24`` in ``n/d``;
  positions rise strictly within a bar.
* ``Program_s``: the slot ``s`` of the part (``0 <= s < max_parts``); ``Pitch_p``: sounding
  MIDI pitch; ``Velocity_v``: MIDI velocity 1-127, every value its own token (exact);
  ``Duration_b.k.r``: ``b + k/r`` beats of the meter at the note's onset.
* ``PAD``, ``BOS``, ``EOS`` are special tokens; :meth:`Tokenizer.token_type` and
  :meth:`Tokenizer.token_value` give the type and value of every id, for decode-time masks.

The grid (the shipped ``tokenizer.json``)
-----------------------------------------
24 positions per beat: in x/4 meters 24 per quarter, which holds sixteenths, 32nds, eighth and
sixteenth triplets and sextuplets (not 64ths, quintuplets or septuplets); in x/8 meters 48 per
quarter; in x/2 meters 12 per quarter (32nds are off that grid); in x/16, 96. Durations: up to
4 beats in steps of 1/24 beat, 4-8 beats in steps of 1/12, 8-32 beats in steps of 1/4 (the
longest note is 32 beats: 8 bars of 4/4). Meters: n/2 for n 1-4, n/4 for n 1-8, n/8 and n/16
for n 1-12. Up to 32 parts. Every pitch 0-127, every velocity 1-127. Vocabulary: 855 tokens.

What round trips, and what is reported
--------------------------------------
``decode(encode(score))`` gives, exactly, per part: the sounding notes (onset, duration, pitch,
velocity = :meth:`~partita.symbolic.score.Part.velocity_of`, so dynamics become velocities) with tied chains merged into
one note (tokens hold sound, not notation), part ids, names and instruments (empty parts
too), time signatures (equal successive ones merged), and from the sidecar the title, tempo
marks, key signatures, sections and pickup. Lost:
spelling, articulations, slurs, lyrics, dynamics as marks, hairpins, voices (notes are dealt
into voices again on decoding), expression overrides, chord symbols, metadata.

:meth:`Tokenizer.check_grid` lists what the grid cannot hold: an onset off the grid (a
quintuplet), a duration off the duration grid or longer than the longest duration token. By
default :meth:`Tokenizer.encode` raises :class:`~partita.errors.TokenizationError` naming the
part and bar of the first problem; with ``strict=False`` it moves each such note to the nearest
grid point and the nearest duration token and returns the problems in
:attr:`~partita.symbolic.tokens_format.TokenSequence.problems`. A meter the tokenizer lacks or more parts than slots always raise.

Nothing here touches the network: miditok is built offline from parameters
(``HF_HUB_OFFLINE=1``), and is imported only when a tokenizer is made.

>>> from fractions import Fraction
>>> from partita.symbolic.score import Note, Part, Score
>>> tok = Tokenizer.default()
>>> score = Score(parts=(Part("vn", "Violin", "violin", (Note(0, Fraction(1, 3), 67, velocity=90),)),))
>>> seq = tok.encode(score)
>>> tok.tokens(seq)
['Bar_None', 'TimeSig_4/4', 'Position_0', 'Program_0', 'Pitch_67', 'Velocity_90', 'Duration_0.8.24']
>>> tok.decode(seq).parts[0].notes[0].duration
Fraction(1, 3)
"""

from __future__ import annotations

import bisect
import functools
import json
import os
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from partita._fileio import atomic_write_text
from partita.errors import ConfigError, PartitaError, TokenizationError
from partita.symbolic.score import Part, Score
from partita.symbolic.sounding import Sounding, assign_voices, merged_ties
from partita.symbolic.timeline import TempoMap, TimeSignature
from partita.symbolic.tokens_format import GridProblem, PartLayout, TokenizerConfig, TokenSequence

__all__ = ["Tokenizer"]

TOKEN_TYPES = ("PAD", "BOS", "EOS", "Bar", "TimeSig", "Position", "Program", "Pitch", "Velocity", "Duration")


# ---------------------------------------------------------------------------------------------
# The tokenizer


class Tokenizer:
    """REMI over all parts at once, with part identity in the ``Program`` token.

    Parameters
    ----------
    config
        The vocabulary and grid; :meth:`default` uses the shipped ``tokenizer.json``.

    Examples
    --------
    >>> tok = Tokenizer.default()
    >>> tok.vocab_size
    855
    >>> tok.token_type(tok.vocab["Pitch_60"]), tok.token_value(tok.vocab["Pitch_60"])
    ('Pitch', 60)
    """

    def __init__(self, config: TokenizerConfig | None = None) -> None:
        self.config = config or TokenizerConfig()
        self._remi = _build_remi(self.config)
        self._vocab: dict[str, int] = dict(self._remi.vocab)
        self._strings = {i: s for s, i in self._vocab.items()}
        ppb = self.config.positions_per_beat
        self._durations_beats = sorted(
            Fraction(b) + Fraction(k, r) for b, k, r in self._remi.durations
        )  # fmt: skip
        max_den = max(d for d, _ in self.config.meters)
        self._ticks_per_quarter = ppb * max(max_den, 4) // 4 if ppb * max_den % 4 == 0 else ppb * max_den

    # -- construction and saving ---------------------------------------------------------------

    @classmethod
    def default(cls) -> Tokenizer:
        """The tokenizer of the shipped ``partita/symbolic/tokenizer.json``."""
        return _default()

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Tokenizer:
        """A tokenizer from a config JSON written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read tokenizer config: {exc}", file=str(path)) from None
        try:
            return cls(TokenizerConfig.from_dict(data))
        except PartitaError as exc:
            raise exc.located(file=str(path)) from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the config as JSON, atomically."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.config.to_dict(), indent=2) + "\n")
        return path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and other.config == self.config and other._vocab == self._vocab

    def __hash__(self) -> int:
        return hash(self.config)

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, config={self.config!r})"

    # -- vocabulary ------------------------------------------------------------------------------

    @property
    def vocab(self) -> Mapping[str, int]:
        """Token string (``"Pitch_60"``) -> id."""
        return dict(self._vocab)

    @property
    def vocab_size(self) -> int:
        """Number of token ids (ids run from 0 to ``vocab_size - 1``)."""
        return len(self._vocab)

    def token_string(self, token_id: int) -> str:
        """The string of one id (``"Position_12"``)."""
        try:
            return self._strings[int(token_id)]
        except (KeyError, TypeError, ValueError):
            raise TokenizationError(
                f"token id {token_id!r} is outside the vocabulary of {self.vocab_size}"
            ) from None

    def token_type(self, token_id: int) -> str:
        """``"Bar"``, ``"TimeSig"``, ``"Position"``, ``"Program"``, ``"Pitch"``, ``"Velocity"``,
        ``"Duration"``, or a special token's name (``"PAD"``, ``"BOS"``, ``"EOS"``)."""
        return self.token_string(token_id).split("_", 1)[0]

    def token_value(self, token_id: int) -> Any:
        """The value of one id: ``int`` for Position (steps), Program (slot), Pitch and
        Velocity; ``Fraction`` beats for Duration; ``(numerator, denominator)`` for TimeSig;
        ``None`` for Bar and special tokens."""
        kind, _, raw = self.token_string(token_id).partition("_")
        if kind in ("Position", "Program", "Pitch", "Velocity"):
            return int(raw)
        if kind == "Duration":
            b, k, r = (int(x) for x in raw.split("."))
            return Fraction(b) + Fraction(k, r)
        if kind == "TimeSig":
            n, d = raw.split("/")
            return int(n), int(d)
        return None

    def ids_of_type(self, kind: str) -> tuple[int, ...]:
        """Every id of one token type, ascending (for decode-time masks)."""
        return tuple(sorted(i for s, i in self._vocab.items() if s.split("_", 1)[0] == kind))

    def tokens(self, seq: TokenSequence | Sequence[int]) -> list[str]:
        """The token strings of a sequence."""
        ids = seq.ids if isinstance(seq, TokenSequence) else seq
        return [self.token_string(i) for i in ids]

    # -- the grid ----------------------------------------------------------------------------------

    def _shift(self, score: Score) -> Fraction:
        """How far notes move so that a pickup bar becomes a whole first bar."""
        return score.time_signatures[0].bar_length - score.pickup if score.pickup else Fraction(0)

    def _meters(self, score: Score) -> list[TimeSignature]:
        shift = self._shift(score)
        out = [TimeSignature(0, score.time_signatures[0].numerator, score.time_signatures[0].denominator)]
        for ts in score.time_signatures[1:]:
            out.append(TimeSignature(ts.onset + shift, ts.numerator, ts.denominator))
        return out

    def _check_meters_and_parts(self, score: Score) -> None:
        if len(score.parts) > self.config.max_parts:
            raise TokenizationError(
                f"{len(score.parts)} parts; this tokenizer has {self.config.max_parts} part slots"
            )
        for ts in score.time_signatures:
            if not self.config.meter_supported(ts.numerator, ts.denominator):
                raise TokenizationError(
                    f"time signature {ts.numerator}/{ts.denominator} has no token",
                    bar=score.bar_of(ts.onset).bar,
                )

    def _problems(self, score: Score) -> tuple[list[GridProblem], dict[int, list[Sounding]]]:
        """Grid problems, and each part's notes (ties merged) as the tokens will hold them."""
        ppb = self.config.positions_per_beat
        meters = self._meters(score)
        starts = [m.onset for m in meters]
        shift = self._shift(score)
        problems: list[GridProblem] = []
        fixed: dict[int, list[Sounding]] = {}
        for slot, part in enumerate(score.parts):
            notes = []
            for n in merged_ties(part):
                t = n.onset + shift
                ts = meters[bisect.bisect_right(starts, t) - 1]
                step = ts.beat_length / ppb  # quarter-lengths per position
                k = (t - ts.onset) / step
                onset = ts.onset + _round_half_up(k) * step
                # the duration is counted in beats of the meter at the (fixed) onset
                ts_at = meters[bisect.bisect_right(starts, onset) - 1]
                beats = n.duration / ts_at.beat_length
                duration = self._nearest_duration(beats) * ts_at.beat_length
                kinds = []
                if k.denominator != 1:
                    kinds.append("onset")
                if beats > self._durations_beats[-1]:
                    kinds.append("too_long")
                elif duration != n.duration:
                    kinds.append("duration")
                for kind in kinds:
                    problems.append(GridProblem(
                        part=part.name, bar=score.bar_of(n.onset).bar, kind=kind, pitch=n.pitch,
                        onset=n.onset, duration=n.duration, fixed_onset=onset - shift,
                        fixed_duration=duration,
                    ))  # fmt: skip
                notes.append(Sounding(onset, duration, n.pitch, n.velocity))
            fixed[slot] = notes
        return problems, fixed

    def _nearest_duration(self, beats: Fraction) -> Fraction:
        table = self._durations_beats
        i = bisect.bisect_left(table, beats)
        if i == 0:
            return table[0]
        if i == len(table):
            return table[-1]
        lo, hi = table[i - 1], table[i]
        return hi if hi - beats <= beats - lo else lo

    def check_grid(self, score: Score) -> list[GridProblem]:
        """What in ``score`` the tokens cannot hold exactly (empty: the round trip is exact).

        Meters without a token and more parts than slots raise TokenizationError instead.

        >>> from fractions import Fraction
        >>> from partita.symbolic.score import Note, Part, Score
        >>> s = Score(parts=(Part("fl", "Flute", "flute", (Note(Fraction(1, 5), Fraction(1, 5), 72),)),))
        >>> [p.kind for p in Tokenizer.default().check_grid(s)]
        ['onset', 'duration']
        """
        self._check_meters_and_parts(score)
        problems, _ = self._problems(score)
        return problems

    # -- encoding and decoding -------------------------------------------------------------------

    def encode(self, score: Score, *, strict: bool = True) -> TokenSequence:
        """Token ids of ``score`` plus its layout and marks.

        Parameters
        ----------
        score
            The score to encode. A score with a written form (repeats, voltas, D.C./D.S.) is
            encoded in playing order (:func:`partita.symbolic.playback.unroll`): the tokens
            follow the music as it sounds, never from a first ending into a second.
        strict
            True: raise TokenizationError (naming part and bar) when a note is off the grid.
            False: move such notes onto the grid and list them in ``problems``.

        Returns
        -------
        TokenSequence
        """
        import symusic

        if score.form:
            from partita.symbolic.playback import unroll

            score = unroll(score)
        self._check_meters_and_parts(score)
        problems, notes = self._problems(score)
        if problems and strict:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise TokenizationError(
                f"{first.describe()}{more}; encode with strict=False to quantise",
                part=first.part, bar=first.bar,
            )
        tpq = self._ticks_per_quarter
        sym = symusic.Score(tpq)
        for ts in self._meters(score):
            at = _ticks(ts.onset, tpq)
            sym.time_signatures.append(symusic.TimeSignature(at, ts.numerator, ts.denominator))
        for slot, part in enumerate(score.parts):
            track = symusic.Track(name=str(slot), program=slot, is_drum=False)
            for n in notes[slot]:
                on, length = _ticks(n.onset, tpq), _ticks(n.duration, tpq)
                track.notes.append(symusic.Note(on, length, n.pitch, n.velocity))
            sym.tracks.append(track)
        try:
            ids = tuple(int(i) for i in self._remi.encode(sym).ids)
        except Exception as exc:  # miditok's own checks
            raise TokenizationError(f"miditok could not encode the score: {exc}") from None
        return TokenSequence(
            ids=ids,
            layout=PartLayout.from_score(score),
            title=score.title,
            tempo_marks=score.tempo_map.marks,
            key_signatures=score.key_signatures,
            sections=score.sections,
            pickup=score.pickup,
            problems=tuple(problems),
        )

    def decode(self, seq: TokenSequence) -> Score:
        """The Score that ``seq`` describes.

        Raises
        ------
        TokenizationError
            An id outside the vocabulary, a Program slot the layout lacks, or a sequence
            miditok cannot decode.
        """
        from miditok import TokSequence

        for i in seq.ids:
            self.token_string(i)  # ids outside the vocabulary
        try:
            sym = self._remi.decode(TokSequence(ids=list(seq.ids)))
        except Exception as exc:
            raise TokenizationError(f"miditok could not decode the tokens: {exc}") from None
        tpq = sym.ticks_per_quarter
        slots = seq.layout.slots
        tss = []
        for ts in sym.time_signatures:
            t = Fraction(int(ts.time), tpq)
            ts_ = TimeSignature(t, int(ts.numerator), int(ts.denominator))
            if tss and (tss[-1].numerator, tss[-1].denominator) == (ts_.numerator, ts_.denominator):
                continue
            if tss and tss[-1].onset == t:
                tss[-1] = ts_
                continue
            tss.append(ts_)
        if not tss:
            tss = [TimeSignature(0, 4, 4)]
        first_bar = tss[0].bar_length
        pickup = Fraction(seq.pickup)
        shift = first_bar - pickup if pickup else Fraction(0)
        if shift:
            tss = [tss[0]] + [TimeSignature(t.onset - shift, t.numerator, t.denominator) for t in tss[1:]]
        by_slot: dict[int, list[list[Any]]] = {i: [] for i in range(len(slots))}
        for track in sym.tracks:
            slot = int(track.program)
            if slot not in by_slot:
                raise TokenizationError(
                    f"tokens name part slot {slot}, but the layout has {len(slots)} part(s)"
                )
            for n in track.notes:
                start = Fraction(int(n.time), tpq) - shift
                if start < 0:
                    raise TokenizationError(f"a note starts {-start} quarters before the pickup")
                end = start + Fraction(int(n.duration), tpq)
                by_slot[slot].append([start, end, int(n.pitch), int(n.velocity)])
        parts = []
        for i, s in enumerate(slots):
            try:
                notes = assign_voices(by_slot[i], lambda x: x)
                parts.append(Part(s.id, s.name, s.instrument, notes))
            except PartitaError as exc:
                raise TokenizationError(exc.message, part=s.name) from None
        try:
            return Score(
                title=seq.title,
                parts=tuple(parts),
                tempo_map=TempoMap(tuple(seq.tempo_marks)),
                time_signatures=tuple(tss),
                key_signatures=tuple(seq.key_signatures),
                sections=tuple(seq.sections),
                pickup=pickup,
            )
        except PartitaError as exc:
            raise TokenizationError(
                f"the tokens do not make a valid score: {exc.message}", bar=exc.bar
            ) from None


def _ticks(ql: Fraction, tpq: int) -> int:
    t = ql * tpq
    if t.denominator != 1:  # cannot happen for notes on the grid
        raise TokenizationError(f"position {ql} is between ticks at {tpq} ticks per quarter")
    return int(t)


def _round_half_up(x: Fraction) -> int:
    return int((x + Fraction(1, 2)) // 1)


def _build_remi(config: TokenizerConfig) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach the Hugging Face hub
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import miditok

    beat_res = {(a, b): r for a, b, r in config.durations}
    cfg = miditok.TokenizerConfig(
        pitch_range=tuple(config.pitch_range),
        beat_res=beat_res,
        num_velocities=127,
        special_tokens=list(config.special_tokens),
        use_velocities=True,
        use_time_signatures=True,
        use_tempos=False,
        use_rests=False,
        use_chords=False,
        use_sustain_pedals=False,
        use_pitch_bends=False,
        use_programs=True,
        programs=list(range(config.max_parts)),
        one_token_stream_for_programs=True,
        use_pitchdrum_tokens=False,
        time_signature_range={d: list(ns) for d, ns in config.meters},
        remove_duplicated_notes=False,
    )
    return miditok.REMI(cfg)


@functools.lru_cache(maxsize=1)
def _default() -> Tokenizer:
    text = resources.files("partita.symbolic").joinpath("tokenizer.json").read_text(encoding="utf-8")
    return Tokenizer(TokenizerConfig.from_dict(json.loads(text)))
