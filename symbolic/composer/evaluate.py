"""Objective measures of composed music, following muspy's definitions.

* :func:`pitch_class_entropy`: Shannon entropy (bits) of the pitch-class histogram of all notes.
* :func:`scale_consistency`: the largest share of notes inside one major or minor scale.
* :func:`groove_consistency`: ``1 - mean Hamming distance / resolution`` between the onset
  patterns of consecutive bars, each a binary vector of ``resolution`` steps per bar.

Rule rates come from :func:`partita.theory_rules.check`.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("p", "Piano", "piano", tuple(Note(i, 1, 60 + 2 * (i % 6)) for i in range(12))),))
>>> round(pitch_class_entropy(s), 3), round(scale_consistency(s), 3), groove_consistency(s)
(2.585, 0.667, 1.0)
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

__all__ = ["groove_consistency", "overlapped_area", "pitch_class_entropy", "rule_rates", "scale_consistency",
           "split_half_overlap"]

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)


def _pitched(score: Any) -> list[Any]:
    return [n for p in score.parts if p.instrument != "drum_kit" for n in p.notes]


def pitch_class_entropy(score: Any) -> float:
    """Entropy in bits of the pitch-class histogram (muspy ``pitch_class_entropy``); NaN for
    a score without notes."""
    notes = _pitched(score)
    if not notes:
        return float("nan")
    counts = np.bincount([n.pitch % 12 for n in notes], minlength=12).astype(np.float64)
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def scale_consistency(score: Any) -> float:
    """Largest share of notes in one of the 24 major and minor scales (muspy)."""
    notes = _pitched(score)
    if not notes:
        return float("nan")
    counts = np.bincount([n.pitch % 12 for n in notes], minlength=12)
    best = 0.0
    for root in range(12):
        for scale in (_MAJOR, _MINOR):
            inside = counts[[(root + i) % 12 for i in scale]].sum()
            best = max(best, inside / counts.sum())
    return float(best)


def groove_consistency(score: Any, *, resolution_per_quarter: int = 24) -> float:
    """``1 - mean Hamming distance`` between consecutive bars' onset patterns, divided by the
    bar's resolution (muspy ``groove_consistency``); bars counted from onset 0 in the first time signature's
    bar length (as muspy counts them: a pickup is not special); NaN with fewer than two bars."""
    notes = _pitched(score)
    if not notes:
        return float("nan")
    bar_ql = score.time_signatures[0].bar_length
    res = int(bar_ql * resolution_per_quarter)
    n_bars = int(max(n.onset for n in notes) // bar_ql) + 1
    if n_bars < 2:
        return float("nan")
    pattern = np.zeros((n_bars, res), dtype=bool)
    for n in notes:
        b = int(n.onset // bar_ql)
        k = int((n.onset - b * bar_ql) * resolution_per_quarter)
        if k < res:
            pattern[b, k] = True
    ham = (pattern[1:] != pattern[:-1]).sum(axis=1)
    return float(1.0 - ham.mean() / res)


def rule_rates(score: Any, *, profile: str = "chorale") -> dict[str, float]:
    """Violations per 100 notes of each rule of ``profile``, plus ``n_errors`` and ``n_notes``."""
    from partita.theory_rules import check

    rep = check(score, profile=profile)
    out = dict(rep.rates_per_100_notes())
    out["n_errors"] = float(rep.n_errors)
    out["n_notes"] = float(rep.n_notes)
    return out


def summary(scores: Iterable[Any], *, profile: str = "chorale") -> dict[str, float]:
    """Mean of each measure over ``scores`` (NaNs skipped) and total rule violations per 100
    notes."""
    rows = []
    for s in scores:
        row = {
            "pitch_class_entropy": pitch_class_entropy(s),
            "scale_consistency": scale_consistency(s),
            "groove_consistency": groove_consistency(s),
        }
        rates = rule_rates(s, profile=profile)
        n = rates.pop("n_notes")
        row["n_errors"] = rates.pop("n_errors")
        row["violations_per_100_notes"] = float(sum(rates.values()))
        row["_n_notes"] = n
        for k, v in rates.items():
            row[f"rule:{k}"] = v
        rows.append(row)
    keys = sorted({k for r in rows for k in r})
    return {k: float(np.nanmean([r.get(k, np.nan) for r in rows])) for k in keys}


# ---------------------------------------------------------------------------------------------
# MGEval-style overlapped area (Yang and Lerch 2020)


#: Parts the per-part features read (the first pitched parts in score order; a score with fewer
#: counts the missing ones as silent): a four-part chorale or quartet, or one melody.
FEATURE_PARTS = 4
#: Melodic intervals of the interval histogram, clipped to this many semitones either way.
FEATURE_MAX_INTERVAL = 12


def _features(score: Any) -> dict[str, np.ndarray]:
    from partita.symbolic.composer.stylefeatures import top_line

    notes = _pitched(score)
    pitches = np.array([n.pitch for n in notes], dtype=np.float64)
    n_bars = max(1, score.n_bars)
    hist = np.bincount(pitches.astype(int) % 12, minlength=12).astype(np.float64)
    hist = hist / max(hist.sum(), 1.0)
    nz = hist[hist > 0]
    parts = [p for p in score.parts if p.instrument != "drum_kit"][:FEATURE_PARTS]
    shifts: list[int] = []
    moves: list[np.ndarray] = []
    per_bar = np.zeros(FEATURE_PARTS)
    ranges = np.zeros(FEATURE_PARTS)
    for i, p in enumerate(parts):
        ps = [n.pitch for n in p.notes]
        shifts.extend(abs(a - b) for a, b in zip(ps[1:], ps[:-1]))
        line = top_line(p)[1].astype(np.int64)
        moves.append(np.diff(line))
        per_bar[i] = len(line) / n_bars
        ranges[i] = np.ptp(ps) if ps else 0.0
    iv = np.clip(np.concatenate(moves) if moves else np.zeros(0, dtype=np.int64), -FEATURE_MAX_INTERVAL, FEATURE_MAX_INTERVAL)
    iv_hist = np.bincount(iv + FEATURE_MAX_INTERVAL, minlength=2 * FEATURE_MAX_INTERVAL + 1).astype(np.float64)
    onsets = np.array(sorted({float(n.onset) for n in notes}))
    return {
        "used_pitches": np.array([len(set(pitches.tolist()))], dtype=np.float64),
        "pitch_class_histogram": hist,
        "pitch_class_entropy": np.array([float(-(nz * np.log2(nz)).sum())]),
        "pitch_range": np.array([np.ptp(pitches) if len(pitches) else 0.0]),
        "pitch_range_per_part": ranges,
        "mean_pitch_shift": np.array([np.mean(shifts) if shifts else 0.0]),
        "interval_histogram": iv_hist / max(iv_hist.sum(), 1.0),
        "notes_per_bar": np.array([len(notes) / n_bars]),
        "notes_per_bar_per_part": per_bar,
        "mean_ioi": np.array([np.mean(np.diff(onsets)) if len(onsets) > 1 else 0.0]),
    }


def _overlap(a: np.ndarray, b: np.ndarray, *, n_grid: int = 2000) -> float:
    """Area under min(kde_a, kde_b) (Gaussian kernels, Scott's bandwidth) on a grid of
    ``n_grid`` points."""
    from scipy.stats import gaussian_kde

    if np.ptp(a) == 0 and np.ptp(b) == 0:
        return 1.0 if np.allclose(a.mean(), b.mean()) else 0.0
    eps = 1e-6 * (np.ptp(np.concatenate([a, b])) + 1e-12)
    ka = gaussian_kde(a + np.random.default_rng(0).normal(0, eps, len(a)))
    kb = gaussian_kde(b + np.random.default_rng(1).normal(0, eps, len(b)))
    lo = min(a.min(), b.min())
    hi = max(a.max(), b.max())
    pad = 0.5 * (hi - lo + 1e-9)
    x = np.linspace(lo - pad, hi + pad, n_grid)
    return float(np.trapezoid(np.minimum(ka(x), kb(x)), x))


def overlapped_area(generated: Iterable[Any], reference: Iterable[Any]) -> dict[str, float]:
    """MGEval-style overlapped area per feature between the reference's intra-set distances
    and the generated-to-reference inter-set distances (1: indistinguishable), and their mean
    under ``"mean"``. Features: used pitches, pitch-class histogram and its entropy, pitch
    range (all notes, and per part), mean pitch shift, the histogram of the parts' melodic
    intervals (each part's line, clipped to :data:`FEATURE_MAX_INTERVAL` semitones), notes per
    bar (all parts, and per part: new notes of each line), mean inter-onset interval. The
    per-part features are vectors over the first :data:`FEATURE_PARTS` pitched parts in score
    order (a missing part reads 0). Distances are Euclidean per piece pair."""
    return _overlapped_area_of_features([_features(s) for s in generated], [_features(s) for s in reference])


def _overlapped_area_of_features(gen: list[dict[str, np.ndarray]], ref: list[dict[str, np.ndarray]]) -> dict[str, float]:
    if len(gen) < 2 or len(ref) < 2:
        raise ValueError("overlapped_area needs at least two pieces in each set")
    out = {}
    for k in ref[0]:
        intra = np.array([np.linalg.norm(ref[i][k] - ref[j][k]) for i in range(len(ref)) for j in range(len(ref)) if i != j])
        inter = np.array([np.linalg.norm(g[k] - r[k]) for g in gen for r in ref])
        out[k] = _overlap(intra, inter)
    out["mean"] = float(np.mean(list(out.values())))
    return out


def split_half_overlap(
    scores: Iterable[Any], *, per_half: int, other: int | None = None, splits: int = 10, seed: int = 0
) -> dict[str, Any]:
    """The overlapped area of a set against itself: ``splits`` random disjoint draws of
    ``per_half`` and ``other`` (default ``per_half``) pieces from ``scores``, each measured
    with :func:`overlapped_area` (the first draw as "generated", the second as reference).
    Returns per feature and ``"mean"`` the mean over the splits, and under ``"sd"`` their
    standard deviations: what "indistinguishable" measures at that set size.

    Raises
    ------
    ValueError
        Fewer than ``per_half + other`` pieces, or fewer than two in a draw.
    """
    feats = [_features(s) for s in scores]
    other = per_half if other is None else other
    if per_half < 2 or other < 2 or len(feats) < per_half + other:
        raise ValueError(f"split_half_overlap needs {per_half} + {other} pieces (at least 2 each); got {len(feats)}")
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(splits):
        order = rng.permutation(len(feats))
        a = [feats[i] for i in order[:per_half]]
        b = [feats[i] for i in order[per_half : per_half + other]]
        rows.append(_overlapped_area_of_features(a, b))
    keys = list(rows[0])
    out: dict[str, Any] = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    out["sd"] = {k: float(np.std([r[k] for r in rows])) for k in keys}
    out["sizes"] = [per_half, other]
    out["splits"] = splits
    return out
