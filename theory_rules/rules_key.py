"""Key rule: notes outside the active key and mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from partita.theory_rules.core import Rule, RuleSkipped, Violation, register
from partita.theory_rules.lines import ScoreView, where

__all__ = ["KeyOutside", "allowed_pcs"]

_MINOR = frozenset({"minor", "aeolian"})


def allowed_pcs(key, *, minor_raised_6_7: bool = True) -> frozenset[int]:
    """Pitch classes that belong to ``key`` (a KeySignature): its scale, plus the raised
    sixth and seventh degrees in minor when ``minor_raised_6_7`` (melodic and harmonic minor).

    >>> from partita.symbolic.pitch import KeySignature
    >>> sorted(allowed_pcs(KeySignature(0, 0, "minor")))
    [0, 2, 4, 5, 6, 7, 8, 9, 11]
    """
    pcs = set(key.scale_pcs)
    if minor_raised_6_7 and key.mode in _MINOR:
        pcs |= {(key.tonic_pc + 9) % 12, (key.tonic_pc + 11) % 12}
    return frozenset(pcs)


@dataclass(frozen=True, slots=True)
class KeyParams:
    """``mode``: ``"strict"`` reports every note outside the key; ``"lenient"`` lets through
    chromatic passing tones (approached and left by step, 1-2 semitones, in one direction) and
    chromatic neighbour tones (a step away from a note and back to it).
    ``minor_raised_6_7``: in minor keys, the raised sixth and seventh belong to the key."""

    mode: Literal["strict", "lenient"] = "lenient"
    minor_raised_6_7: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("strict", "lenient"):
            raise ValueError("mode must be strict or lenient")


def _is_step(a: int, b: int) -> bool:
    return 1 <= abs(a - b) <= 2


@register
class KeyOutside(Rule):
    """A note whose pitch class is not in the key (and mode) in force at its onset."""

    id = "key-outside"
    description = "a note outside the active key and mode (lenient: chromatic passing and neighbour tones allowed)"
    category = "key"
    default_severity = "warning"
    Params = KeyParams

    def _check(self, view: ScoreView) -> list[Violation]:
        score = view.score
        if not score.key_signatures:
            raise RuleSkipped("the score has no key signature")
        lenient = self.params.mode == "lenient"
        cache: dict[int, frozenset[int]] = {}
        out = []
        for part in score.parts:
            for v in part.voices:
                # onsets of this voice and the pitches starting at each (a chord gives several)
                groups: list[list] = []
                for n in part.notes:
                    if n.voice != v:
                        continue
                    if groups and groups[-1][0].onset == n.onset:
                        groups[-1].append(n)
                    else:
                        groups.append([n])
                for k, group in enumerate(groups):
                    t = group[0].onset
                    key = view.key_at(t)
                    if key is None:
                        continue  # before the first key signature
                    pcs = cache.get(id(key))
                    if pcs is None:
                        pcs = cache[id(key)] = allowed_pcs(key, minor_raised_6_7=self.params.minor_raised_6_7)
                    for n in group:
                        if n.pitch % 12 in pcs:
                            continue
                        if lenient and 0 < k < len(groups) - 1 and self._embellishes(n, groups[k - 1], groups[k + 1]):
                            continue
                        text = f"{n.name} is outside {key}, {where(view, t)}"
                        out.append(self.violation(view, parts=(part,), onset=t, notes=(n,), text=text))
        return out

    @staticmethod
    def _embellishes(n, before, after) -> bool:
        for p in before:
            for q in after:
                if not (_is_step(p.pitch, n.pitch) and _is_step(n.pitch, q.pitch)):
                    continue
                if p.pitch == q.pitch:
                    return True  # neighbour tone
                if (p.pitch < n.pitch < q.pitch) or (p.pitch > n.pitch > q.pitch):
                    return True  # passing tone
        return False
