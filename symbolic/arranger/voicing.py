"""Pitches for the arranger: chord tones, keyboard voicings led to the nearest inversion,
playable guitar shapes, bass notes, guide tones and walking lines, all inside a register.

>>> chord_tones("G7")
(7, (7, 11, 2, 5))
>>> keyboard_voicing("C", 55, 76, prev=None)
(60, 64, 67, 72)
>>> keyboard_voicing("F", 55, 76, prev=(60, 64, 67, 72))  # nearest inversion: C-F-A-C
(60, 65, 69, 72)
>>> guitar_voicing("E", prev_fret=None)[1]
(40, 47, 52, 56, 59, 64)
"""

from __future__ import annotations

import functools
import os
from types import MappingProxyType
from typing import Mapping, Sequence

from partita._presets import Entry, load, table
from partita.errors import PresetError

__all__ = ["chord_tones", "keyboard_voicing", "guitar_voicing", "bass_pitch", "guide_tone", "walking_bar", "fold", "load_guitar"]

def load_guitar(path: str | os.PathLike[str] | None = None) -> tuple[
        tuple[int, ...], Mapping[tuple[str, str], tuple[int | None, ...]]]:  # fmt: skip
    """The guitar's open strings (MIDI, low to high) and its chord shapes, ``(shape, quality)``
    -> frets relative to the barre (None: string not played), from ``guitar.toml`` (package
    data, read once) or the file at ``path``. A bad value raises
    :class:`~partita.errors.PresetError` naming the file, the shape and the quality.

    >>> tuning, shapes = load_guitar()
    >>> tuning, shapes[("A", "min")]
    ((40, 45, 50, 55, 59, 64), (None, 0, 2, 2, 1, 0))
    """
    return load("partita.symbolic.arranger", "guitar.toml", _parse_guitar, path)


def _parse_guitar(data: dict, file: str) -> tuple[tuple[int, ...], Mapping[tuple[str, str], tuple[int | None, ...]]]:
    e = Entry(file, "tuning", table(data, "tuning", file=file))
    strings = e.items("strings")
    e.done()
    if len(strings) != 6 or any(isinstance(x, bool) or not isinstance(x, int) or not 0 <= x <= 127 for x in strings):
        raise e.error("strings", f"{strings!r} is not 6 MIDI note numbers 0-127")
    shapes_ = table(data, "shape", file=file)
    if set(shapes_) != {"E", "A"}:
        raise PresetError(f"the shapes are {', '.join(shapes_)}; they must be E and A", file=file, entry="shape")
    shapes = {}
    for shape, qualities in shapes_.items():
        e = Entry(file, f"shape.{shape}", qualities)
        for quality in e.data:
            frets = e.items(quality)
            if quality not in ("maj", "min", "7", "dim", "aug"):
                raise e.error(quality, "not a quality; qualities: maj, min, 7, dim, aug")
            ok = len(frets) == 6 and all(f == "x" or (not isinstance(f, bool) and isinstance(f, int) and 0 <= f <= 5)
                                         for f in frets)  # fmt: skip
            root_string = 0 if shape == "E" else 1
            if not ok or frets[root_string] != 0:
                raise e.error(quality, f"{frets!r} is not 6 frets 0-5 or \"x\" with the root string at 0")
            shapes[(shape, quality)] = tuple(None if f == "x" else f for f in frets)
    return tuple(strings), MappingProxyType(shapes)


# Guitar chord shapes and tuning: ``guitar.toml``.
_TUNING, _SHAPES = load_guitar()


def chord_tones(figure: str) -> tuple[int, tuple[int, ...]]:
    """Root pitch class and the chord's pitch classes, root first (root, third, fifth, seventh)."""
    return _chord_tones(figure)


@functools.lru_cache(maxsize=512)
def _chord_tones(figure: str) -> tuple[int, tuple[int, ...]]:
    from partita.symbolic.composer.chords import QUALITIES, chord_root_quality

    root, quality = chord_root_quality(figure)
    return root, tuple((root + i) % 12 for i in QUALITIES[quality][1])


def fold(pitch: int, lo: int, hi: int) -> int:
    """``pitch`` moved by octaves into ``[lo, hi]`` (the nearest end when the range is under an
    octave and the pitch class is not in it)."""
    while pitch < lo:
        pitch += 12
    while pitch > hi:
        pitch -= 12
    return pitch if pitch >= lo else pitch + 12 if pitch + 12 <= hi else lo


def keyboard_voicing(figure: str, lo: int, hi: int, *, prev: Sequence[int] | None) -> tuple[int, ...]:
    """A close-position voicing of four notes (triads double their lowest note an octave up)
    inside ``[lo, hi]``: of every inversion, the one nearest ``prev`` (summed semitone motion of
    the voices, lowest to highest), else the one nearest the middle of the register."""
    _, pcs = chord_tones(figure)
    best: tuple[float, tuple[int, ...]] | None = None
    n = len(pcs)
    for inv in range(n):
        order = pcs[inv:] + pcs[:inv]
        for base in range(lo, lo + 12):
            if base % 12 != order[0]:
                continue
            notes = [base]
            for pc in order[1:]:
                p = notes[-1] + 1
                while p % 12 != pc:
                    p += 1
                notes.append(p)
            if n == 3:
                notes.append(notes[0] + 12)
            if notes[-1] > hi:
                continue
            if prev:
                cost = sum(abs(a - b) for a, b in zip(sorted(prev), notes)) + abs(len(prev) - len(notes)) * 6
            else:
                cost = abs((notes[0] + notes[-1]) / 2 - (lo + hi) / 2)
            if best is None or cost < best[0]:
                best = (cost, tuple(notes))
    if best is None:  # a register narrower than the chord: the tones folded in, unique
        return tuple(sorted({fold(60 + pc, lo, hi) for pc in pcs}))
    return best[1]


def guitar_voicing(figure: str, *, prev_fret: int | None, max_fret: int = 9) -> tuple[int, tuple[int, ...]]:
    """A playable guitar chord: ``(barre fret, sounding pitches low to high)`` from the E- or
    A-shape (the one nearest ``prev_fret``; open position first when there is none)."""
    from partita.symbolic.composer.chords import chord_root_quality

    root, quality = chord_root_quality(figure)
    options = []
    for shape_root, string in (("E", 0), ("A", 1)):
        q = quality if (shape_root, quality) in _SHAPES else ("maj" if quality == "aug" else "min")
        if (shape_root, q) not in _SHAPES:
            continue
        fret = (root - _TUNING[string]) % 12
        if fret > max_fret:
            fret -= 12
        if fret < 0:
            continue
        shape = _SHAPES[(shape_root, q)]
        pitches = tuple(_TUNING[s] + fret + f for s, f in enumerate(shape) if f is not None)
        options.append((fret, pitches))
    target = 2 if prev_fret is None else prev_fret
    return min(options, key=lambda o: (abs(o[0] - target), o[0]))


def bass_pitch(pc: int, lo: int, hi: int, *, prev: int | None) -> int:
    """Pitch class ``pc`` in the bass register ``[lo, lo + 14]`` (inside ``hi``), the octave
    nearest ``prev``."""
    top = min(hi, lo + 14)
    cands = [p for p in range(lo, top + 1) if p % 12 == pc] or [fold(pc + 24, lo, hi)]
    if prev is None:
        return cands[0]
    return min(cands, key=lambda p: (abs(p - prev), p))


def guide_tone(figure: str, lo: int, hi: int, *, prev: int | None) -> int:
    """The chord's third or seventh (fifth for a triad) nearest ``prev``, inside ``[lo, hi]``
    (nearest the middle of the register when there is no ``prev``)."""
    _, pcs = chord_tones(figure)
    wanted = [pcs[1], pcs[3] if len(pcs) > 3 else pcs[2]]
    target = prev if prev is not None else (lo + hi) // 2
    cands = [p for p in range(lo, hi + 1) if p % 12 in wanted]
    if not cands:
        return fold(60 + pcs[0], lo, hi)
    return min(cands, key=lambda p: (abs(p - target), p))


def walking_bar(figure: str, next_figure: str | None, lo: int, hi: int, *, prev: int | None,
                variant: int) -> list[int]:  # fmt: skip
    """Four quarter notes of a walking bass: the root on beat 1, chord tones on 2 and 3 (the
    ``variant`` picks third-fifth or fifth-third, up or down), and on beat 4 a chromatic
    approach a semitone below or above the next bar's root."""
    root, pcs = chord_tones(figure)
    r = bass_pitch(root, lo, hi, prev=prev)
    third, fifth = pcs[1], pcs[2]
    order = (third, fifth) if variant % 2 == 0 else (fifth, third)
    b2 = min((p for p in range(r - 9, r + 10) if p % 12 == order[0] and lo <= p <= hi), key=lambda p: abs(p - r - (4 if variant < 2 else -4)), default=r)  # noqa: E501
    b3 = min((p for p in range(b2 - 9, b2 + 10) if p % 12 == order[1] and lo <= p <= hi), key=lambda p: abs(p - b2), default=r)  # noqa: E501
    nxt_root = chord_tones(next_figure)[0] if next_figure else root
    target = bass_pitch(nxt_root, lo, hi, prev=b3)
    approach = target - 1 if (variant // 2) % 2 == 0 else target + 1
    if not lo <= approach <= hi:
        approach = target + 1 if approach < lo else target - 1
    return [r, b2, b3, approach]
