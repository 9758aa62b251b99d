"""Decode-time masks: which REMI tokens may come next, so that what the composer writes
never breaks the hard rules.

The composer calls :meth:`DecodeMask.allowed` before sampling each token (a boolean array over
the vocabulary) and :meth:`DecodeMask.update` with the token it chose. The mask keeps its state
incrementally, one update per token, never re-reading the sequence. It follows the grammar
documented in :mod:`partita.symbolic.tokens`::

    sequence := [BOS] bar* [EOS]
    bar      := Bar TimeSig (Position note+)*
    note     := Program Pitch Velocity Duration

and enforces, for every sequence it allows:

* **grammar**: every sequence obeying the mask decodes (:meth:`Tokenizer.decode`);
* **grid**: a ``Position`` only where the onset, measured from the bar line, is a whole
  multiple of one of ``grids`` (quarter-lengths; default sixteenths and eighth triplets), as
  the ``off-grid`` rule measures;
* **bar fill**: a ``Duration`` only if the note ends by the bar line (``bar-fill``);
* **range**: a ``Pitch`` only inside the slot's instrument range (``range-playable``, or the
  comfortable range with ``pitch_range="comfortable"``);
* **key** (strict): a ``Pitch`` only in the key in force (``key-outside`` in strict mode),
  when key signatures are given;
* **monophony**: on a monophonic instrument, a ``Program`` only when the slot is silent at the
  position (``monophonic-chords``); a ``Position`` only when some slot can still play there;
* **parallels**: no parallel (or contrary) fifths, octaves or unisons against parts already
  written at the same onset (``parallel-fifths``, ``parallel-octaves``, ``parallel-unisons``),
  judged between each part's previous sounding note and the new one as the rules judge them.
  The guarantee holds between monophonic parts (each is one melodic line); for a polyphonic
  part the mask compares its highest note at the onset so far.

The mask measures time in token time: bar 1 starts at 0 (a pickup is not modelled; the
composer writes whole bars).

>>> from partita.symbolic.tokens import Tokenizer
>>> from partita.symbolic.tokens_format import PartLayout, PartSlot
>>> tok = Tokenizer.default()
>>> layout = PartLayout((PartSlot("fl", "Flute", "flute"), PartSlot("bn", "Bassoon", "bassoon")))
>>> mask = DecodeMask(tok, layout)
>>> sorted({tok.token_type(i) for i in mask.allowed_ids()})
['BOS', 'Bar']
>>> for s in ["Bar_None", "TimeSig_4/4", "Position_0", "Program_0"]:
...     mask.update(tok.vocab[s])
>>> pitches = [tok.token_value(i) for i in mask.allowed_ids()]
>>> min(pitches), max(pitches)              # the flute's playable range
(59, 98)
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Iterable, Literal

import numpy as np

from partita.errors import ConfigError, TokenizationError

if TYPE_CHECKING:  # pragma: no cover
    from partita.symbolic.pitch import KeySignature
    from partita.symbolic.tokens import Tokenizer
    from partita.symbolic.tokens_format import PartLayout

__all__ = ["DecodeMask", "MaskTables"]

# phases of the grammar
_START, _AFTER_BOS, _AFTER_BAR, _IN_BAR, _AFTER_POS, _AFTER_PROGRAM, _AFTER_PITCH, _AFTER_VELOCITY, _AFTER_NOTE, _DONE = range(10)  # fmt: skip


#: Internal time unit: ticks of 1/96 quarter note, which hold every position step and every
#: duration token of every meter the tokenizer has (24 steps per beat, beats from a half note
#: to a sixteenth).
TICKS_PER_QUARTER = 96


class MaskTables:
    """What masks precompute from a tokenizer once and share: the kind and value of every id,
    and per meter and grid the allowed positions and the duration masks by room left in the bar."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        n = tokenizer.vocab_size
        self.vocab_size = n
        self.kind = [tokenizer.token_type(i) for i in range(n)]
        self.value = [tokenizer.token_value(i) for i in range(n)]
        self.type_mask: dict[str, np.ndarray] = {}
        for k in set(self.kind):
            m = np.zeros(n, dtype=bool)
            m[[i for i in range(n) if self.kind[i] == k]] = True
            self.type_mask[k] = m
        self.pitch_id = np.full(128, -1, dtype=np.int64)
        for i in range(n):
            if self.kind[i] == "Pitch":
                self.pitch_id[self.value[i]] = i
        self.ppb = tokenizer.config.positions_per_beat
        if (TICKS_PER_QUARTER * 4) % (self.ppb * 16):
            raise ConfigError(f"{self.ppb} positions per beat do not fit the mask's tick of 1/96 quarter")
        self.duration_ids = [i for i in range(n) if self.kind[i] == "Duration"]
        self.position_ids = {self.value[i]: i for i in range(n) if self.kind[i] == "Position"}
        self.program_ids = {self.value[i]: i for i in range(n) if self.kind[i] == "Program"}
        self._meters: dict[tuple, _Meter] = {}
        self._forbid: dict[tuple[int, int], np.ndarray] = {}

    def meter(self, meter: tuple[int, int], grids: tuple[Fraction, ...]) -> _Meter:
        """The tables of one meter and grid (built once, then shared)."""
        key = (meter, grids)
        got = self._meters.get(key)
        if got is None:
            got = self._meters[key] = _Meter(self, meter, grids)
        return got

    def forbidden(self, other_pitch: int, interval_class: int) -> np.ndarray:
        """Bool [vocab_size]: pitch ids at ``interval_class`` (0 unison, 1 octave, 5 fifth)
        from ``other_pitch``."""
        key = (other_pitch, interval_class)
        got = self._forbid.get(key)
        if got is None:
            bad = _CLASS_OF_DISTANCE[np.abs(_PITCHES - other_pitch)] == interval_class
            got = np.zeros(self.vocab_size, dtype=bool)
            ids = self.pitch_id[bad]
            got[ids[ids >= 0]] = True
            self._forbid[key] = got
        return got


class _Meter:
    """Per meter: tick lengths, on-grid positions, duration masks by room left."""

    def __init__(self, tables: MaskTables, meter: tuple[int, int], grids: tuple[Fraction, ...]) -> None:
        num, den = meter
        beat = Fraction(4, den)
        steps = num * tables.ppb
        step_ql = beat / tables.ppb
        self.step_ticks = int(step_ql * TICKS_PER_QUARTER)
        self.bar_ticks = steps * self.step_ticks
        self.on_grid = [
            k for k in range(steps)
            if k in tables.position_ids and any(((k * step_ql) / g).denominator == 1 for g in grids)
        ]  # fmt: skip
        self.grid_ids = np.array([tables.position_ids[k] for k in self.on_grid], dtype=np.int64)
        self.duration_ticks = {i: int(tables.value[i] * beat * TICKS_PER_QUARTER) for i in tables.duration_ids}
        ids = np.array(sorted(self.duration_ticks), dtype=np.int64)
        #: the same as two int arrays in id order: ids, ticks
        self.duration_arrays = (ids, np.array([self.duration_ticks[i] for i in ids], dtype=np.int64))
        self._tables = tables
        self._by_room: dict[int, np.ndarray] = {}

    def durations_within(self, room_ticks: int) -> np.ndarray:
        got = self._by_room.get(room_ticks)
        if got is None:
            got = np.zeros(self._tables.vocab_size, dtype=bool)
            ids = [i for i, d in self.duration_ticks.items() if 0 < d <= room_ticks]
            got[ids] = True
            self._by_room[room_ticks] = got
        return got


@dataclass(slots=True)
class _Note:
    onset: int  # ticks
    end: int
    pitch: int


_PITCHES = np.arange(128)


def _interval_class(i: int) -> int:
    """0: unison, 1: octave (compound), 5: fifth (compound), -1: any other distance."""
    if i == 0:
        return 0
    if i % 12 == 0:
        return 1
    if i % 12 == 7:
        return 5
    return -1


_CLASS_OF_DISTANCE = np.array([_interval_class(d) for d in range(128)], dtype=np.int64)


class DecodeMask:
    """The state of a partially written REMI sequence and the tokens allowed next.

    Parameters
    ----------
    tokenizer
        The :class:`~partita.symbolic.tokens.Tokenizer` whose ids are written.
    layout
        The parts by slot (:class:`~partita.symbolic.tokens_format.PartLayout`); ``Program`` tokens
        beyond it are never allowed.
    key_signatures
        Keys in force (onsets in quarter-lengths from bar 1); empty: no key constraint.
    pitch_range
        ``"playable"`` (default) or ``"comfortable"``: the instrument range pitches must lie in.
    grids
        Allowed onset grids in quarter-lengths from the bar line.
    meters
        ``(numerator, denominator)`` pairs the ``TimeSig`` after each ``Bar`` may take
        (default: every meter the tokenizer has).
    parallels
        Forbid parallel and contrary fifths, octaves and unisons against parts already
        written at the same onset.
    max_chord_notes
        Most notes a polyphonic part may start at one onset (ten fingers). Default: 1 when
        ``parallels`` is on, since the parallels guarantee holds between single lines (a chord
        would be judged by one of its notes and let parallels between the others through);
        10 otherwise.
    tables
        Precomputed :class:`MaskTables` (built from ``tokenizer`` when not given); share one
        between masks of the same tokenizer.
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        layout: PartLayout,
        *,
        key_signatures: Iterable[KeySignature] = (),
        pitch_range: Literal["playable", "comfortable"] = "playable",
        grids: Iterable[Fraction | str | int] = (Fraction(1, 4), Fraction(1, 3)),
        meters: Iterable[tuple[int, int]] | None = None,
        parallels: bool = True,
        max_chord_notes: int | None = None,
        tables: MaskTables | None = None,
    ) -> None:
        from partita import instruments
        from partita.theory_rules.rules_key import allowed_pcs

        self.tables = t = tables or MaskTables(tokenizer)
        self.layout = layout
        n_slots = len(layout.slots)
        if n_slots == 0 or n_slots > len(t.program_ids):
            raise ConfigError(f"a layout of {n_slots} parts does not fit the tokenizer's {len(t.program_ids)} slots")
        if pitch_range not in ("playable", "comfortable"):
            raise ConfigError(f"pitch_range {pitch_range!r} is not playable or comfortable")
        self.grids = tuple(Fraction(g) for g in grids)
        if not self.grids or any(g <= 0 for g in self.grids):
            raise ConfigError("grids must be positive quarter-lengths")
        self.parallels = parallels
        if max_chord_notes is None:
            max_chord_notes = 1 if parallels else 10
        if not 1 <= max_chord_notes <= 12:
            raise ConfigError("max_chord_notes must be 1-12 (every key has at least 7 pitch classes)")
        self.max_chord_notes = max_chord_notes
        self.keys = tuple(sorted(key_signatures, key=lambda k: k.onset))
        self.slot_pitch_mask = []
        self.monophonic = []
        for s in layout.slots:
            inst = instruments.get(s.instrument)
            lo, hi = inst.sounding_range if pitch_range == "playable" else inst.comfortable_range
            m = np.zeros(t.vocab_size, dtype=bool)
            ids = t.pitch_id[max(lo, 0) : min(hi, 127) + 1]
            m[ids[ids >= 0]] = True
            self.slot_pitch_mask.append(m)
            self.monophonic.append(bool(inst.monophonic))
        # range and key together, per slot and key
        self._pitch_masks: list[list[np.ndarray]] = []
        for s in range(n_slots):
            row = []
            for k in self.keys:
                pcs = allowed_pcs(k)
                km = np.zeros(t.vocab_size, dtype=bool)
                for p in range(128):
                    if p % 12 in pcs and t.pitch_id[p] >= 0:
                        km[t.pitch_id[p]] = True
                row.append(self.slot_pitch_mask[s] & km)
            self._pitch_masks.append(row)
        self.key_ticks = [int(np.ceil(float(k.onset * TICKS_PER_QUARTER))) for k in self.keys]
        all_ts = {t.value[i]: i for i in range(t.vocab_size) if t.kind[i] == "TimeSig"}
        wanted = list(all_ts) if meters is None else [tuple(m) for m in meters]
        missing = [m for m in wanted if m not in all_ts]
        if missing:
            raise ConfigError(f"the tokenizer has no TimeSig {missing[0][0]}/{missing[0][1]}")
        self.timesig_mask = np.zeros(t.vocab_size, dtype=bool)
        self.timesig_mask[[all_ts[m] for m in wanted]] = True
        self._program_ids = [t.program_ids[s] for s in range(n_slots)]
        self._bar_eos = t.type_mask["Bar"] | t.type_mask["EOS"]
        self._bar_id = int(np.flatnonzero(t.type_mask["Bar"])[0])
        self._start_mask = t.type_mask["Bar"] | t.type_mask["BOS"]
        self._after_bos = t.type_mask["Bar"] | t.type_mask["EOS"]
        self._pad = t.type_mask["PAD"]
        self._velocity = t.type_mask["Velocity"]
        self.reset()

    # -- state -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to an empty sequence."""
        self.phase = _START
        self.bar = 0  # bars opened so far; the current bar is number ``bar`` (from 1)
        self.bar_start = 0  # ticks
        self.bar_ticks = 0
        self.meter: tuple[int, int] | None = None
        self._m: _Meter | None = None
        self.position = -1  # steps after the bar line of the current Position, -1: none yet
        self.onset = 0  # ticks of the current Position
        self.slot = -1
        self.pitch = -1
        n = len(self.layout.slots)
        self.history: list[list[_Note]] = [[] for _ in range(n)]  # notes per slot, in time order
        self.at_onset: dict[int, int] = {}  # slot -> highest pitch attacked at the current onset
        self.used_at_onset: dict[int, set[int]] = {}  # slot -> pitches attacked at the current onset
        #: per slot, the tick from which a monophonic instrument (or any part held to one note at a
        #: time, max_chord_notes == 1) is free again (otherwise -1)
        self.busy_until: list[int] = [-1] * n
        self.n_tokens = 0

    def copy(self) -> "DecodeMask":
        """An independent mask in the same state (the tables and settings shared): what
        best-of-N restarts each candidate phrase from."""
        new = copy.copy(self)
        new.history = [list(h) for h in self.history]
        new.at_onset = dict(self.at_onset)
        new.used_at_onset = {k: set(v) for k, v in self.used_at_onset.items()}
        new.busy_until = list(self.busy_until)
        return new

    @property
    def onset_ql(self) -> Fraction:
        """The current onset in quarter-lengths from the start."""
        return Fraction(self.onset, TICKS_PER_QUARTER)

    def _previous(self, slot: int, onset: int) -> _Note | None:
        """The slot's top note at its latest onset before ``onset`` (walks back over the
        notes at ``onset`` only: a chord at most)."""
        h = self.history[slot]
        i = len(h) - 1
        while i >= 0 and h[i].onset >= onset:
            i -= 1
        if i < 0:
            return None
        top = h[i]
        j = i - 1
        while j >= 0 and h[j].onset == top.onset:
            if h[j].pitch > top.pitch:
                top = h[j]
            j -= 1
        return top

    # -- the interface ----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True after EOS."""
        return self.phase == _DONE

    # -- read-only views for wrappers (ChordMask) and the span rewriter --------------------

    @property
    def step_ticks(self) -> int:
        """Ticks between two ``Position`` values of the bar in force (its grid step)."""
        if self._m is None:
            raise ConfigError("no bar has begun: the grid step is not known yet")
        return self._m.step_ticks

    @property
    def program_ids(self) -> tuple[int, ...]:
        """The ``Program`` token id of each slot, in slot order."""
        return tuple(self._program_ids)

    @property
    def expects_pitch(self) -> bool:
        """True right after a ``Program``: the next token is the note's ``Pitch``."""
        return self.phase == _AFTER_PROGRAM

    @property
    def expects_program(self) -> bool:
        """True after a ``Position`` or a whole note: a ``Program`` (a part's new note) may come."""
        return self.phase in (_AFTER_POS, _AFTER_NOTE)

    @property
    def expects_duration(self) -> bool:
        """True right after a ``Velocity``: the next token is the note's ``Duration``."""
        return self.phase == _AFTER_VELOCITY

    @property
    def expects_onset(self) -> bool:
        """True where a ``Position`` (a later onset in the bar) or a ``Bar`` may come."""
        return self.phase in (_AFTER_NOTE, _IN_BAR)

    def duration_choices(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``Duration`` token ids of the bar in force and their lengths in ticks (int arrays
        in id order; the mask decides which of them fit the bar)."""
        if self._m is None:
            raise ConfigError("no bar has begun: the durations are not known yet")
        return self._m.duration_arrays

    def onset_choices(self) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the on-grid ``Position`` tokens after the current one, then the ``Bar``
        token, and the onset (ticks from the start) each would move to: the bar line for
        ``Bar``."""
        mt = self._m
        if mt is None:
            raise ConfigError("no bar has begun: the positions are not known yet")
        i = bisect.bisect_left(mt.on_grid, self.position + 1)
        ids = np.append(mt.grid_ids[i:], self._bar_id)
        onsets = self.bar_start + np.append(np.asarray(mt.on_grid[i:], dtype=np.int64) * mt.step_ticks, self.bar_ticks)
        return ids, onsets

    def slot_end(self, slot: int) -> int | None:
        """The tick at which ``slot``'s latest onset's notes have all ended (None before its
        first note): where a rest before its next note would begin."""
        h = self.history[slot]
        if not h:
            return None
        end, i = h[-1].end, len(h) - 2
        while i >= 0 and h[i].onset == h[-1].onset:
            end = max(end, h[i].end)
            i -= 1
        return end

    def last_pitch(self, slot: int) -> int | None:
        """The pitch of ``slot``'s previous note before the current onset (the top note of a
        chord), None before its first: what a melodic interval is measured from."""
        prev = self._previous(slot, self.onset)
        return None if prev is None else prev.pitch

    def pitches_for(self, slot: int, onset_ticks: int) -> np.ndarray:
        """``bool [vocab_size]``: the ``Pitch`` tokens slot ``slot`` may ever play at
        ``onset_ticks`` (its range, and the key in force there when keys are given)."""
        if self.keys:
            i = bisect.bisect_right(self.key_ticks, onset_ticks) - 1
            if i >= 0:
                return self._pitch_masks[slot][i]
        return self.slot_pitch_mask[slot]

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary, ``bool [vocab_size]``: True for tokens allowed next."""
        ph = self.phase
        if ph == _AFTER_PROGRAM:
            slot = self.slot
            if self.keys:
                i = bisect.bisect_right(self.key_ticks, self.onset) - 1
                m = (self._pitch_masks[slot][i] if i >= 0 else self.slot_pitch_mask[slot]).copy()
            else:
                m = self.slot_pitch_mask[slot].copy()
            if self.parallels and self.at_onset:
                self._forbid_parallels(m)
            used = self.used_at_onset.get(slot)
            if used:
                pid = self.tables.pitch_id
                for p in used:
                    m[pid[p]] = False  # a chord holds each pitch once
            return m
        if ph == _AFTER_VELOCITY:
            return self._m.durations_within(self.bar_start + self.bar_ticks - self.onset).copy()
        if ph == _AFTER_PITCH:
            return self._velocity.copy()
        if ph == _AFTER_NOTE or ph == _IN_BAR:
            m = self._bar_eos.copy()
            mt = self._m
            # later positions at which some part is free to play
            first = self.position + 1
            free_from = min(self.busy_until) - self.bar_start
            if free_from > 0:
                first = max(first, -(-free_from // mt.step_ticks))
            m[mt.grid_ids[bisect.bisect_left(mt.on_grid, first) :]] = True
            if ph == _AFTER_NOTE:
                onset, busy, at = self.onset, self.busy_until, self.at_onset
                for s, pid in enumerate(self._program_ids):
                    if busy[s] <= onset and (
                        s not in at or (not self.monophonic[s] and len(self.used_at_onset[s]) < self.max_chord_notes)
                    ):
                        m[pid] = True
            return m
        if ph == _AFTER_POS:
            m = np.zeros(self.tables.vocab_size, dtype=bool)
            onset, busy = self.onset, self.busy_until
            for s, pid in enumerate(self._program_ids):
                if busy[s] <= onset:
                    m[pid] = True
            return m
        if ph == _AFTER_BAR:
            return self.timesig_mask.copy()
        if ph == _START:
            return self._start_mask.copy()
        if ph == _AFTER_BOS:
            return self._after_bos.copy()
        return self._pad.copy()

    def _forbid_parallels(self, m: np.ndarray) -> None:
        """Clear pitch ids that would make parallel (or contrary) fifths, octaves or unisons
        with a part already attacked at this onset."""
        s, onset = self.slot, self.onset
        a1 = self._previous(s, onset)
        if a1 is None:
            return
        keep = None
        for r, q in self.at_onset.items():
            if r == s:
                continue
            b1 = self._previous(r, onset)
            if b1 is None:
                continue
            # the previous point of the pair's timeline, and whether both sounded there
            t1 = max(a1.onset, b1.onset)
            if not (t1 < a1.end and t1 < b1.end) or q == b1.pitch:
                continue  # a rest at t1, or the other part did not move
            c1 = _CLASS_OF_DISTANCE[abs(a1.pitch - b1.pitch)]
            if c1 < 0:
                continue
            if keep is None:
                pid = self.tables.pitch_id[a1.pitch]
                keep = (pid, m[pid]) if pid >= 0 else (0, m[0])
            m &= ~self.tables.forbidden(q, int(c1))
        if keep is not None:
            m[keep[0]] = keep[1]  # this part not moving is no parallel

    def allowed_ids(self) -> list[int]:
        """The allowed token ids, ascending."""
        return np.flatnonzero(self.allowed()).tolist()

    def update(self, token_id: int, *, check: bool = True) -> None:
        """Advance the state by one written token.

        Raises
        ------
        TokenizationError
            ``check`` is True and the token is not allowed here.
        """
        t = self.tables
        token_id = int(token_id)
        if not 0 <= token_id < t.vocab_size:
            raise TokenizationError(f"token id {token_id} is outside the vocabulary of {t.vocab_size}")
        if check and not self.allowed()[token_id]:
            raise TokenizationError(
                f"token {t.tokenizer.token_string(token_id)} is not allowed after {self.n_tokens} tokens "
                f"(bar {max(self.bar, 1)})"
            )
        kind = t.kind[token_id]
        value = t.value[token_id]
        self.n_tokens += 1
        if kind == "Duration":
            note = _Note(self.onset, self.onset + self._m.duration_ticks[token_id], self.pitch)
            self.history[self.slot].append(note)
            at = self.at_onset
            at[self.slot] = max(at.get(self.slot, -1), self.pitch)
            self.used_at_onset.setdefault(self.slot, set()).add(self.pitch)
            if self.monophonic[self.slot] or self.max_chord_notes == 1:
                # a line: the next note waits for this one to end (a polyphonic instrument held to
                # one note at a time must not overlap its own notes either, or the rules would
                # hear two notes where the parallels check saw one)
                self.busy_until[self.slot] = note.end
            self.phase = _AFTER_NOTE
        elif kind == "Pitch":
            self.pitch = value
            self.phase = _AFTER_PITCH
        elif kind == "Velocity":
            self.phase = _AFTER_VELOCITY
        elif kind == "Program":
            self.slot = value
            self.phase = _AFTER_PROGRAM
        elif kind == "Position":
            self.position = value
            self.onset = self.bar_start + value * self._m.step_ticks
            self.at_onset = {}
            self.used_at_onset = {}
            self.phase = _AFTER_POS
        elif kind == "Bar":
            if self.bar:
                self.bar_start += self.bar_ticks
            self.onset = self.bar_start
            self.bar += 1
            self.phase = _AFTER_BAR
            self.position = -1
            self.at_onset = {}
            self.used_at_onset = {}
        elif kind == "TimeSig":
            self.meter = value
            self._m = t.meter(value, self.grids)
            self.bar_ticks = self._m.bar_ticks
            self.phase = _IN_BAR
        elif kind == "BOS":
            self.phase = _AFTER_BOS
        elif kind == "EOS":
            self.phase = _DONE
