"""Style profiles: summary statistics of a set of scores, never the notes themselves.

A profile holds, per feature, one row per 8-bar segment of every piece (a pitch-class
distribution, an interval distribution ...; at most :data:`MAX_ROWS` rows, a fixed subsample
beyond) and a summary for people (mean distributions with their bin labels, range and
tessitura per role, the commonest chords and progressions, cadence counts, form statistics).
:mod:`.similarity` compares two profiles row set against row set (MGEval-style overlapped
area). A segment is 8 bars of one score: rows of so few notes cannot be put back together
into the music.

Features (``FEATURES``): ``pitch_class`` (12, relative to the key's tonic), ``interval``
(25, -12..+12 semitones, each part's top line), ``contour`` (27, three-step up/same/down
n-grams), ``ioi`` and ``duration`` (11 bins of quarter notes), ``metric_position`` (16
steps of the bar), ``note_density`` (notes per bar per part), ``used_pitches``,
``pitch_range``, ``mean_pitch_shift`` (MGEval's), ``chord_vocabulary`` (60: scale degree of
the root x quality, duration-weighted), ``root_motion`` (12), ``harmonic_rhythm`` (chords
per bar), ``cadence`` (5: authentic, plagal, half, deceptive, other), ``tessitura_melody``
and ``tessitura_bass`` (10th, 50th, 90th percentile pitch), ``form`` (bars, share of bars
repeating an earlier bar). Drum parts count for the rhythm features only.

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("p", "Flute", "flute", tuple(Note(i, 1, 60 + 2 * (i % 4)) for i in range(32))),))
>>> prof = profile_scores([s])
>>> prof.n_pieces, prof.schema_version, round(sum(prof.summary["pitch_class"]["mean"]), 6)
(1, 1, 1.0)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from partita._fileio import atomic_write_text
from partita.errors import ConfigError, FormatError, PartitaError

__all__ = ["FEATURES", "MAX_ROWS", "PROFILE_SCHEMA_VERSION", "RHYTHM_FEATURES", "StyleProfile", "load_profile",
           "profile_paths", "profile_scores", "read_score_file", "read_scores", "score_rows"]

PROFILE_SCHEMA_VERSION = 1
MAX_ROWS = 256
SEGMENT_BARS = 8
_DUR_EDGES = (0.0, 0.2, 0.3, 0.4, 0.6, 0.7, 0.9, 1.2, 1.7, 2.5, 3.5, np.inf)
_DUR_LABELS = ("1/8", "1/4", "1/3", "1/2", "2/3", "3/4", "1", "3/2", "2", "3", "4+")
_CADENCES = ("authentic", "plagal", "half", "deceptive", "other")
_DEGREES = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")
RHYTHM_FEATURES = ("ioi", "duration", "metric_position", "note_density")
FEATURES = ("pitch_class", "interval", "contour", *RHYTHM_FEATURES, "used_pitches", "pitch_range",
            "mean_pitch_shift", "chord_vocabulary", "root_motion", "harmonic_rhythm", "cadence",
            "tessitura_melody", "tessitura_bass", "form")  # fmt: skip


def _labels() -> dict[str, list[str]]:
    from partita.symbolic.composer.chords import QUALITIES

    signs = ("down", "same", "up")
    return {
        "pitch_class": list(_DEGREES),
        "interval": [f"{i:+d}" for i in range(-12, 13)],
        "contour": [f"{a}-{b}-{c}" for a in signs for b in signs for c in signs],
        "ioi": list(_DUR_LABELS), "duration": list(_DUR_LABELS),
        "metric_position": [f"{i}/16" for i in range(16)],
        "chord_vocabulary": [f"{d}:{q}" for d in _DEGREES for q in QUALITIES],
        "root_motion": [f"{i}" for i in range(12)],
        "cadence": list(_CADENCES),
    }  # fmt: skip


def _hist(values: Iterable[float], n: int, weights: Iterable[float] | None = None) -> np.ndarray | None:
    v = np.asarray(list(values), dtype=np.int64)
    if not len(v):
        return None
    h = np.bincount(v, weights=None if weights is None else np.asarray(list(weights)), minlength=n)[:n].astype(np.float64)
    return h / h.sum() if h.sum() > 0 else None


def _dur_bins(x: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(_DUR_EDGES, x, side="right") - 1, 0, len(_DUR_LABELS) - 1)


def _cadence(prev: tuple[int, int], cur: tuple[int, int], tonic: int, mode: str) -> int:
    from partita.symbolic.composer.chords import QUALITIES

    q = list(QUALITIES)
    d0, d1 = (prev[0] - tonic) % 12, (cur[0] - tonic) % 12
    if d1 == 0 and d0 == 7 and q[prev[1]] in ("maj", "7"):
        return 0
    if d1 == 0 and d0 == 5:
        return 1
    if d1 == 7:
        return 2
    if d0 == 7 and d1 == (8 if mode == "minor" else 9):
        return 3
    return 4


def score_rows(score: Any) -> dict[str, list[np.ndarray]]:
    """Feature name -> one row per 8-bar segment of ``score`` (``form``: one row per score);
    a feature a segment cannot have (no pitched notes, no chords) gets no row there."""
    from partita.symbolic.composer.controls import _key_of, roles_of
    from partita.symbolic.composer.stylefeatures import chord_events, is_drum_part, melodic_lines, note_bars

    rows: dict[str, list[np.ndarray]] = {k: [] for k in FEATURES}
    parts = [p for p in score.parts if p.notes]
    if not parts:
        return rows
    pitched = [p for p in parts if not is_drum_part(p)]
    tonic, mode = _key_of(score) if pitched else (0, "major")
    roles = dict(zip((p.id for p in score.parts), roles_of(score)))
    n_bars = max(1, score.n_bars)
    seg_of = lambda bars: np.maximum(bars - 1, 0) // SEGMENT_BARS  # noqa: E731
    n_seg = int(seg_of(np.array([n_bars]))[0]) + 1
    seg_notes: list[dict[str, list[Any]]] = [{} for _ in range(n_seg)]
    for p in parts:
        bars = note_bars(score, [n.onset for n in p.notes])
        for n, s in zip(p.notes, np.minimum(seg_of(bars), n_seg - 1)):
            if n.tie not in ("stop", "continue"):  # a tied continuation is not a new note
                seg_notes[s].setdefault(p.id, []).append(n)
    lines = melodic_lines(score)
    ev = chord_events(score)
    ev_seg = np.minimum(seg_of(ev.bar), n_seg - 1) if len(ev) else np.zeros(0, dtype=np.int64)
    for s in range(n_seg):
        by_part = seg_notes[s]
        if not by_part:
            continue
        all_notes = [n for ns in by_part.values() for n in ns]
        pn = [n for pid, ns in by_part.items() if not is_drum_part(score.part(pid)) for n in ns]
        seg_bars = min(SEGMENT_BARS, n_bars - s * SEGMENT_BARS) or 1
        iois = np.concatenate([np.diff(sorted({float(n.onset) for n in ns})) for ns in by_part.values()])
        if len(iois):
            rows["ioi"].append(_hist(_dur_bins(iois), len(_DUR_LABELS)))
        rows["duration"].append(_hist(_dur_bins(np.array([float(n.duration) for n in all_notes])), len(_DUR_LABELS)))
        pos = []
        for n in all_notes:
            bp = score.bar_of(n.onset)
            bar_len = score.time_signature_at(n.onset).bar_length
            pos.append(min(15, int(float((bp.beat - 1) * score.time_signature_at(n.onset).beat_length / bar_len) * 16)))
        rows["metric_position"].append(_hist(pos, 16))
        rows["note_density"].append(np.array([len(all_notes) / seg_bars / len(by_part)]))
        if not pn:
            continue
        pitches = np.array([n.pitch for n in pn])
        rows["pitch_class"].append(_hist((pitches - tonic) % 12, 12))
        rows["used_pitches"].append(np.array([float(len(set(pitches.tolist())))]))
        rows["pitch_range"].append(np.array([float(np.ptp(pitches))]))
        ivs, contours = [], []
        for ln in lines:
            m = seg_of(ln.bar) == s
            d = np.diff(ln.pitch[m].astype(np.int64))
            ivs.extend(np.clip(d, -12, 12).tolist())
            sg = np.sign(d) + 1
            contours.extend((sg[:-2] * 9 + sg[1:-1] * 3 + sg[2:]).tolist())
        if ivs:
            rows["interval"].append(_hist(np.array(ivs) + 12, 25))
            rows["mean_pitch_shift"].append(np.array([float(np.mean(np.abs(ivs)))]))
        if contours:
            rows["contour"].append(_hist(contours, 27))
        for role in ("melody", "bass"):
            rp = [n.pitch for pid, ns in by_part.items() if roles.get(pid) == role for n in ns]
            if rp:
                rows[f"tessitura_{role}"].append(np.percentile(rp, [10, 50, 90]).astype(np.float64))
        m = ev_seg == s
        if m.any():
            deg = (ev.root[m].astype(np.int64) - tonic) % 12
            rows["chord_vocabulary"].append(_hist(deg * 5 + ev.quality[m], 60, ev.duration_ql[m]))
            rows["harmonic_rhythm"].append(np.array([float(m.sum()) / seg_bars]))
            idx = np.nonzero(m)[0]
            if len(idx) > 1:
                rows["root_motion"].append(_hist((np.diff(ev.root[idx].astype(np.int64))) % 12, 12))
    # cadences: at each long chord (two quarter notes or more) and at the end, from the chord before
    cads = [(_cadence((int(ev.root[i - 1]), int(ev.quality[i - 1])), (int(ev.root[i]), int(ev.quality[i])), tonic, mode))
            for i in range(1, len(ev)) if ev.duration_ql[i] >= 2 or i == len(ev) - 1]  # fmt: skip
    if cads:
        rows["cadence"].append(_hist(cads, 5))
    # form: bars, and the share of bars whose top-line rhythm and intervals repeat an earlier bar
    if lines:
        seen, rep, total = set(), 0, 0
        ln = lines[0]
        for b in np.unique(ln.bar):
            m = ln.bar == b
            key = (tuple(np.diff(ln.pitch[m].astype(int)).tolist()), tuple(np.round(ln.onset_ql[m] - ln.onset_ql[m][0], 3).tolist()))
            total += 1
            rep += key in seen
            seen.add(key)
        rows["form"].append(np.array([float(n_bars), rep / max(total, 1)]))
    return {k: [r for r in v if r is not None] for k, v in rows.items()}


@dataclass(frozen=True)
class StyleProfile:
    """Summary statistics of a set of scores (see the module docstring).

    ``rows``: feature -> float rows (one per segment); ``summary``: for people and plots;
    ``skipped``: files left out with the reason; ``label``: what was profiled."""

    n_pieces: int
    n_notes: int
    rows: Mapping[str, list[list[float]]]
    summary: Mapping[str, Any]
    skipped: tuple[str, ...] = ()
    label: str = ""
    schema_version: int = PROFILE_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.schema_version != PROFILE_SCHEMA_VERSION:
            raise ConfigError(f"style profile schema_version {self.schema_version}; this partita reads "
                              f"schema_version {PROFILE_SCHEMA_VERSION}")  # fmt: skip

    def arrays(self) -> dict[str, np.ndarray]:
        """Feature -> float64 [n_rows, n_dims] (features with no rows left out)."""
        return {k: np.asarray(v, dtype=np.float64) for k, v in self.rows.items() if len(v)}

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": self.schema_version, "label": self.label, "n_pieces": self.n_pieces,
                "n_notes": self.n_notes, "skipped": list(self.skipped), "summary": dict(self.summary),
                "rows": {k: [list(map(float, r)) for r in v] for k, v in self.rows.items()}}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StyleProfile:
        """Raises ConfigError for another schema version (named)."""
        if d.get("schema_version") != PROFILE_SCHEMA_VERSION:
            raise ConfigError(f"style profile schema_version {d.get('schema_version')!r}; this partita reads "
                              f"schema_version {PROFILE_SCHEMA_VERSION}")  # fmt: skip
        return cls(int(d["n_pieces"]), int(d["n_notes"]), {k: [list(r) for r in v] for k, v in d["rows"].items()},
                   dict(d["summary"]), tuple(d.get("skipped", ())), str(d.get("label", "")), int(d["schema_version"]))  # fmt: skip

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write JSON (atomically)."""
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")


def load_profile(path: str | os.PathLike[str]) -> StyleProfile:
    """Read a profile written by :meth:`StyleProfile.save`.

    Raises
    ------
    FormatError
        Not JSON, or not a profile; ConfigError: another schema version (named), with the file.
    """
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read the profile: {exc}", file=str(path)) from None
    if not isinstance(d, dict) or "rows" not in d or "schema_version" not in d:
        raise FormatError("not a partita style profile (no schema_version and rows)", file=str(path))
    try:
        return StyleProfile.from_dict(d)
    except PartitaError as exc:
        raise exc.located(file=str(path)) from None


def _summary(rows: Mapping[str, list[np.ndarray]], scores: Sequence[Any]) -> dict[str, Any]:
    from partita.symbolic.composer.controls import _key_of, roles_of
    from partita.symbolic.composer.chords import QUALITIES
    from partita.symbolic.composer.stylefeatures import chord_events, is_drum_part

    labels = _labels()
    out: dict[str, Any] = {}
    for k, v in rows.items():
        if not v:
            continue
        a = np.asarray(v, dtype=np.float64)
        entry: dict[str, Any] = {"mean": np.round(a.mean(axis=0), 6).tolist(), "n_rows": len(v)}
        if k in labels:
            entry["labels"] = labels[k]
        else:
            entry["sd"] = np.round(a.std(axis=0), 6).tolist()
        out[k] = entry
    ranges: dict[str, list[int]] = {}
    progressions: dict[str, int] = {}
    qn = list(QUALITIES)
    for s in scores:
        pitched = [p for p in s.parts if p.notes and not is_drum_part(p)]
        if not pitched:
            continue
        for p, role in zip(s.parts, roles_of(s)):
            if p.notes and role != "percussion":
                ranges.setdefault(role, []).extend(n.pitch for n in p.notes)
        tonic, _ = _key_of(s)
        ev = chord_events(s)
        names = [f"{_DEGREES[(int(r) - tonic) % 12]}:{qn[int(q)]}" for r, q in zip(ev.root, ev.quality)]
        for a, b in zip(names[:-1], names[1:]):
            progressions[f"{a} -> {b}"] = progressions.get(f"{a} -> {b}", 0) + 1
    out["range_by_role"] = {r: {"lowest": int(min(v)), "p10": float(np.percentile(v, 10)), "median": float(np.median(v)),
                                "p90": float(np.percentile(v, 90)), "highest": int(max(v))} for r, v in sorted(ranges.items())}  # fmt: skip
    out["top_progressions"] = dict(sorted(progressions.items(), key=lambda kv: (-kv[1], kv[0]))[:20])
    if "chord_vocabulary" in out:
        mean = out["chord_vocabulary"]["mean"]
        top = sorted(range(len(mean)), key=lambda i: -mean[i])[:12]
        out["top_chords"] = {labels["chord_vocabulary"][i]: mean[i] for i in top if mean[i] > 0}
    return out


def profile_scores(scores: Iterable[Any], *, label: str = "", skipped: Sequence[str] = (),
                   max_rows: int = MAX_ROWS, seed: int = 0) -> StyleProfile:
    """The profile of ``scores`` (Score objects).

    Scores with no notes at all are skipped (counted in ``skipped``); at most ``max_rows``
    rows per feature are kept, a subsample fixed by ``seed``.

    Raises
    ------
    ConfigError
        Nothing with notes to profile.
    """
    acc: dict[str, list[np.ndarray]] = {k: [] for k in FEATURES}
    kept, skipped_out, n_notes = [], list(skipped), 0
    for i, s in enumerate(scores):
        n = sum(len(p.notes) for p in s.parts)
        if n == 0:
            skipped_out.append(f"{s.title or f'score {i + 1}'}: no notes")
            continue
        kept.append(s)
        n_notes += n
        for k, v in score_rows(s).items():
            acc[k].extend(v)
    if not kept:
        raise ConfigError(f"nothing to profile: no score with notes{' (' + label + ')' if label else ''}")
    rng = np.random.default_rng(seed)
    rows = {}
    for k, v in acc.items():
        if len(v) > max_rows:
            v = [v[i] for i in sorted(rng.choice(len(v), max_rows, replace=False))]
        rows[k] = [np.round(r, 6).tolist() for r in v]
    return StyleProfile(len(kept), n_notes, rows, _summary(acc, kept), tuple(skipped_out), label)


def read_score_file(path: str | os.PathLike[str]) -> Any:
    """A score file (any format :func:`partita.symbolic.io.read` reads), a ``score.json``
    (``Score.to_dict``) or a partita compose folder (its ``score.json``).

    Raises
    ------
    FormatError
        Not readable (the file named).
    """
    from partita.symbolic import io as sio
    from partita.symbolic.score import Score

    p = Path(path)
    if p.is_dir():
        if not (p / "score.json").is_file():
            raise FormatError("a folder without score.json (give a score file or a partita compose folder)", file=str(p))
        p = p / "score.json"
    if p.suffix.lower() == ".json":
        try:
            return Score.from_dict(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FormatError(f"not a score.json: {exc}", file=str(p)) from None
        except PartitaError as exc:
            raise exc.located(file=str(p)) from None
    return sio.read(p)


def read_scores(inputs: Sequence[str | os.PathLike[str]]) -> tuple[list[tuple[str, Any]], list[str]]:
    """Read every score file of ``inputs`` (files and folders, searched recursively).

    Returns ``([(name, Score)], [skipped file: reason])``; files that do not read and scores
    with no pitched notes are skipped with their reason (drum-only scores are kept).

    Raises
    ------
    ConfigError
        A folder with no score files, or nothing readable at all (named).
    """
    from partita.symbolic import io as sio

    files: list[Path] = []
    for inp in inputs:
        p = Path(inp)
        if p.is_dir() and (p / "score.json").is_file() and (p / "provenance.json").is_file():
            files.append(p / "score.json")  # a partita compose folder: its exact score
        elif p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in sio.READ_EXTENSIONS)
            if not found:
                raise ConfigError(f"the folder has no score files ({', '.join(sio.READ_EXTENSIONS)})", file=str(p))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError("no such file or folder", file=str(p))
    out, skipped = [], []
    for f in files:
        try:
            s = read_score_file(f)
        except PartitaError as exc:
            skipped.append(f"{f}: {exc.message}")
            continue
        if not any(p.notes for p in s.parts):
            skipped.append(f"{f}: no notes")
            continue
        out.append((f.name, s))
    if not out:
        raise ConfigError("no readable score with notes" + (f"; skipped: {'; '.join(skipped[:3])}" if skipped else ""),
                          file=", ".join(map(str, inputs)))  # fmt: skip
    return out, skipped


def profile_paths(inputs: Sequence[str | os.PathLike[str]], *, label: str | None = None) -> StyleProfile:
    """The profile of score files and folders (see :func:`read_scores` for what is skipped).

    >>> profile_paths([])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    partita.errors.ConfigError: no readable score with notes
    """
    scores, skipped = read_scores(inputs)
    return profile_scores([s for _, s in scores], label=label if label is not None else ", ".join(map(str, inputs)),
                          skipped=skipped)  # fmt: skip
