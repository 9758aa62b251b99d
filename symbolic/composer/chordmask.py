"""Given chords as a hard constraint: a mask combined with the theory_rules ``DecodeMask``.

The rule (``"strong-beats"``, the default wherever chords are given): a note *struck* on a
strong beat sounds a tone of the chord in force there. Strong beats are the ones
``partita.theory_rules``' ``non-chord-tone`` rule reads (:func:`~partita.theory_rules.rules_harmony.is_strong`):
the bar's downbeat, and the middle of a bar of 4 or 12 beats. Anywhere else any pitch the
DecodeMask allows may sound, so passing and neighbour tones live on weak positions. Notes held
over a strong beat are not re-struck and are not judged (as in the rule).

:class:`ChordMask` wraps a :class:`~partita.symbolic.composer.masks.DecodeMask`: ``allowed()`` is the
inner mask's, and at a strong onset also (a) only the chord's pitch classes for the pitch and
(b) only the parts (``Program`` tokens) that still have such a pitch within their range and
the key, so sampling never reaches a dead end. A chord with no tone in the key that some part
can sing in its range is contradictory: :func:`check_chords` raises a ``ConfigError`` naming the
bar and the chord (the key mask is never relaxed). If parallels (the inner mask) forbid every
chord tone for the chosen part, the chord constraint gives way for that one note and the event
is counted in :attr:`ChordMask.relaxed` (stated relaxation; the tests check it stays rare).
A chord with some tones outside the key is not an error: under a key mask only its tones in the
key are written (:func:`key_clashes` names the others, and ``partita compose`` says so); where
the key is left to the model, the chord is written as given.

>>> from fractions import Fraction
>>> sorted(chord_pcs("Dm"))
[2, 5, 9]
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from typing import Any, Iterable

import numpy as np

from partita.errors import ConfigError

__all__ = ["CHORD_RULES", "ChordMask", "check_chords", "chord_pcs", "key_clashes"]

#: ``"strong-beats"``: chord tones on strong beats; ``"off"``: chords are not enforced.
CHORD_RULES = ("strong-beats", "off")


def chord_pcs(figure: str) -> frozenset[int]:
    """Pitch classes of a chord symbol: the planner's figures (``"Bb"``, ``"F#dim"``, ``"A7"``)
    by :func:`~partita.symbolic.composer.chords.chord_root_quality`, anything else by music21
    (as the ``non-chord-tone`` rule reads it).

    Raises
    ------
    ConfigError
        A figure music21 cannot read.
    """
    from partita.symbolic.composer.chords import QUALITIES, chord_root_quality
    from partita.theory_rules.rules_harmony import chord_pitch_classes

    try:
        root, quality = chord_root_quality(figure)
        return frozenset((root + i) % 12 for i in QUALITIES[quality][1])
    except ConfigError:
        pass
    pcs = chord_pitch_classes(figure)
    if pcs is None:
        raise ConfigError(f"chord {figure!r} is not a chord symbol music21 reads")
    return pcs


class ChordMask:
    """A DecodeMask with chord tones forced on strong beats.

    Parameters
    ----------
    inner
        The :class:`~partita.symbolic.composer.masks.DecodeMask` (updated through this wrapper).
    chords
        ``(onset_ql, figure)`` pairs, absolute quarter-length onsets in the token timeline,
        each in force until the next; a figure ``None`` ends the chord before it.
    """

    def __init__(self, inner: Any, chords: Iterable[tuple[Fraction, str]]) -> None:
        from partita.symbolic.composer.masks import TICKS_PER_QUARTER

        self.inner = inner
        pairs = sorted((int(Fraction(o) * TICKS_PER_QUARTER), f) for o, f in chords)
        self._ticks = [t for t, _ in pairs]
        t = inner.tables
        self._pc_masks: list[np.ndarray | None] = []
        for _, f in pairs:
            if f is None:  # no chord from here on
                self._pc_masks.append(None)
                continue
            m = np.zeros(t.vocab_size, dtype=bool)
            pcs = chord_pcs(f)
            for p in range(128):
                if p % 12 in pcs and t.pitch_id[p] >= 0:
                    m[t.pitch_id[p]] = True
            self._pc_masks.append(m)
        self._figures = [f for _, f in pairs]
        self.relaxed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def update(self, token_id: int, *, check: bool = True) -> None:
        self.inner.update(token_id, check=check)

    def copy(self) -> "ChordMask":
        """An independent mask in the same state (the chords shared)."""
        new = object.__new__(ChordMask)
        new.__dict__.update(self.__dict__)
        new.inner = self.inner.copy()
        return new

    def _chord_at(self, onset_ticks: int) -> np.ndarray | None:
        i = bisect.bisect_right(self._ticks, onset_ticks) - 1
        return self._pc_masks[i] if i >= 0 else None

    def _strong(self, onset_ticks: int) -> bool:
        m = self.inner
        into = onset_ticks - m.bar_start
        if into == 0:
            return True
        meter = getattr(m, "meter", None)
        return bool(meter and meter[0] in (4, 12) and 2 * into == m.bar_ticks)

    def allowed(self) -> np.ndarray:
        """Boolean mask over the vocabulary, ``bool [vocab_size]``."""
        m = self.inner
        a = m.allowed()
        if m.position < 0 or not self._strong(m.onset):
            return a
        chord = self._chord_at(m.onset)
        if chord is None:
            return a
        if m.expects_pitch:
            c = a & chord
            if c.any():
                return c
            self.relaxed += 1
            return a
        if m.expects_program:
            for s, pid in enumerate(m.program_ids):
                if a[pid] and not (m.pitches_for(s, m.onset) & chord).any():
                    a[pid] = False
        return a

    def allowed_ids(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.allowed())]


def check_chords(inner: Any, chords: Iterable[tuple[Fraction, str]], *, bar_ql: Fraction | None = None) -> None:
    """Raise a ``ConfigError`` for a chord of which no part can sound any tone within its
    range and the key in force (a chord that contradicts the key), naming the bar."""
    from partita.symbolic.composer.masks import TICKS_PER_QUARTER

    probe = ChordMask(inner, chords)
    for k, (onset_ticks, figure) in enumerate(zip(probe._ticks, probe._figures)):
        chord = probe._pc_masks[k]
        if chord is not None and not any((inner.pitches_for(s, onset_ticks) & chord).any() for s in range(len(inner.slot_pitch_mask))):
            where = ""
            if bar_ql:
                where = f" in bar {int(Fraction(onset_ticks, TICKS_PER_QUARTER) // bar_ql) + 1}"
            raise ConfigError(f"chord {figure!r}{where} has no tone in the key that any part can play; "
                              "change the chord or the key")  # fmt: skip


_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def key_clashes(figures: Iterable[str], key: Any) -> list[tuple[str, tuple[str, ...]]]:
    """Each distinct chord of ``figures`` with tones outside ``key`` (a
    :class:`~partita.symbolic.pitch.KeySignature`, read as the key mask reads it: the scale,
    plus the raised sixth and seventh in minor), and the names of those tones. With the chord
    rule on, only the chord's tones inside the key are written.

    >>> from partita.symbolic.pitch import KeySignature
    >>> key_clashes(["C", "D", "G7", "D"], KeySignature(0, 0, "major"))
    [('D', ('F#',))]
    """
    from partita.theory_rules.rules_key import allowed_pcs

    inside = allowed_pcs(key)
    out = []
    for f in dict.fromkeys(figures):
        if f is None:
            continue
        outside = sorted(chord_pcs(f) - inside)
        if outside:
            out.append((f, tuple(_NAMES[pc] for pc in outside)))
    return out
