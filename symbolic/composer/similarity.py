"""How close two sets of music are in style: one score from 0 to 1 and one per feature.

Each side is a :class:`~partita.symbolic.composer.profile.StyleProfile` (made from a score, a
folder or read from a profile file). Per feature, the MGEval overlapped area (Yang and Lerch
2020; :func:`partita.symbolic.composer.evaluate._overlap`) between the distances inside B
(row to row) and the distances from A's rows to B's rows: 1 when A's segments sit among
B's as B's own do, near 0 when they are far apart. The score is the mean over the features
both sides have (a drum-only side has the rhythm features only). Reference values for
reading the number (two halves of one composer, two composers, the composer's output
against its training style) are in ``benchmarks/results/similarity_calibration.json``
and docs/originality.md.

>>> from partita.symbolic.score import Note, Part, Score
>>> a = Score(parts=(Part("p", "Flute", "flute", tuple(Note(i, 1, 60 + 2 * (i % 4)) for i in range(64))),))
>>> rep = similarity(a, a)
>>> rep.score > 0.9
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from partita.errors import ConfigError

__all__ = ["SimilarityReport", "as_profile", "feature_overlaps", "similarity"]

#: At most this many distances go into each density estimate (a fixed subsample beyond).
MAX_DISTANCES = 300
#: Grid points of the overlapped-area integral.
N_GRID = 256
_WORDS = {"pitch_class": "pitch classes", "interval": "melodic intervals", "contour": "melodic contour",
          "ioi": "inter-onset intervals", "duration": "note lengths", "metric_position": "where notes fall in the bar",
          "note_density": "note density", "used_pitches": "pitches used", "pitch_range": "pitch range",
          "mean_pitch_shift": "step size", "chord_vocabulary": "chord vocabulary", "root_motion": "chord progressions",
          "harmonic_rhythm": "harmonic rhythm", "cadence": "cadences", "tessitura_melody": "melody tessitura",
          "tessitura_bass": "bass tessitura", "form": "form and repetition"}  # fmt: skip


@dataclass(frozen=True)
class SimilarityReport:
    """``score`` 0..1 (mean of ``features``); ``features``: feature -> overlapped area;
    ``missing``: features one side lacks (name -> why); ``a`` and ``b``: labels."""

    score: float
    features: Mapping[str, float]
    missing: Mapping[str, str]
    a: str
    b: str

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "features": {k: round(v, 4) for k, v in self.features.items()},
                "missing": dict(self.missing), "a": self.a, "b": self.b}  # fmt: skip

    def summary(self) -> str:
        """Plain language: the score, the closest and the farthest features."""
        if not self.features:
            return f"similarity of {self.a} to {self.b}: no feature in common"
        order = sorted(self.features, key=lambda k: -self.features[k])
        word = "very close to" if self.score >= 0.8 else "close to" if self.score >= 0.65 else \
            "somewhat like" if self.score >= 0.45 else "unlike"
        lines = [f"similarity {self.score:.2f}: {self.a} is {word} {self.b} in style "
                 "(1 = as close as its own pieces are to each other)",
                 "  closest in: " + ", ".join(f"{_WORDS.get(k, k)} {self.features[k]:.2f}" for k in order[:3]),
                 "  farthest in: " + ", ".join(f"{_WORDS.get(k, k)} {self.features[k]:.2f}" for k in order[::-1][:3])]  # fmt: skip
        if self.missing:
            lines.append("  not compared: " + ", ".join(f"{k} ({v})" for k, v in self.missing.items()))
        return "\n".join(lines)


def as_profile(x: Any) -> Any:
    """A StyleProfile from a profile, a Score, a list of Scores, or a path (profile .json,
    score file or folder)."""
    import json

    from partita.symbolic.composer.profile import StyleProfile, load_profile, profile_paths, profile_scores

    if isinstance(x, StyleProfile):
        return x
    if isinstance(x, (str, os.PathLike)):
        p = Path(x)
        if p.suffix.lower() == ".json" and p.is_file():
            try:
                is_profile = "schema_version" in json.loads(p.read_text(encoding="utf-8")) and p.name != "score.json"
            except (OSError, ValueError):
                is_profile = True  # load_profile names what is wrong
            if is_profile:
                return load_profile(p)
        return profile_paths([p], label=p.name or str(p))
    if isinstance(x, (list, tuple)):
        return profile_scores(x, label=f"{len(x)} scores")
    return profile_scores([x], label=getattr(x, "title", "") or "score")


def _distances(a: np.ndarray, b: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    from scipy.spatial.distance import cdist, pdist

    d = pdist(a) if b is None else cdist(a, b).ravel()
    if len(d) > MAX_DISTANCES:
        d = d[rng.choice(len(d), MAX_DISTANCES, replace=False)]
    return d


def feature_overlaps(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], *, seed: int = 0) -> tuple[dict[str, float], dict[str, str]]:
    """Per feature, the overlapped area of B's intra-set distances and A-to-B distances;
    and the features left out with the reason. ``a``, ``b``: feature -> float [n_rows, n_dims]."""
    from partita.symbolic.composer.evaluate import _overlap

    rng = np.random.default_rng(seed)
    out, missing = {}, {}
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            missing[k] = f"only in {'A' if k in a else 'B'}"
            continue
        ra, rb = a[k], b[k]
        if len(rb) < 2 and len(ra) >= 2:
            ra, rb = rb, ra  # the side with several rows is the reference
        if len(rb) < 2:
            missing[k] = "one row on each side"
            continue
        out[k] = _overlap(_distances(rb, None, rng), _distances(ra, rb, rng), n_grid=N_GRID)
    return out, missing


def similarity(a: Any, b: Any, *, seed: int = 0) -> SimilarityReport:
    """The style similarity of ``a`` to ``b`` (each a score, a list of scores, a folder, a
    score file, a profile or a profile file).

    Returns
    -------
    SimilarityReport
        ``score`` 0..1 and one overlapped area per feature both sides have.

    Raises
    ------
    ConfigError
        The two sides share no feature with enough rows.
    """
    pa, pb = as_profile(a), as_profile(b)
    feats, missing = feature_overlaps(pa.arrays(), pb.arrays(), seed=seed)
    if not feats:
        raise ConfigError(f"nothing to compare between {pa.label or 'A'} and {pb.label or 'B'}: "
                          "no feature with rows on both sides")  # fmt: skip
    return SimilarityReport(float(np.mean(list(feats.values()))), feats, missing, pa.label or "A", pb.label or "B")
