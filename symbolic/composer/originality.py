"""The originality check: the longest passages a score shares with the composer's training
corpus (the shipped n-gram index) or with any folder of scores.

Per pitched part, the score's top line is cut into windows (:mod:`.ngrams`: pitch intervals
and inter-onset intervals, so a transposed copy matches and a copy in another rhythm does
not), looked up in the index, and consecutive windows that match the same source part in
order are joined into one *shared passage*. Commonplace windows (a scale run, a cadence
formula: found in many pieces) only bridge rare ones. The harmonic rhythm (one chord per
quarter note, equal neighbours merged) is checked the same way. A passage at least
``flag_notes`` notes (or ``flag_chords`` chords) long is flagged (``originality.toml``).

>>> from partita.symbolic.score import Note, Part, Score
>>> s = Score(parts=(Part("p", "Flute", "flute", tuple(Note(i, 1, 60 + (i * 7) % 12) for i in range(20))),))
>>> rep = check_originality(s, against=[index_of_scores([("same", s)])])
>>> rep.verdict, rep.longest_melody.length
('flagged', 20)
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from partita.errors import ConfigError
from partita.symbolic.composer.ngrams import NgramIndex, Table, harmonic_tokens, melodic_tokens, thresholds, window_hashes

__all__ = ["Match", "OriginalityReport", "check_originality", "corpus_index", "index_of_folder", "index_of_scores",
           "CORPUS_INDEX_FILE"]

#: The shipped index of the shipped composer's training corpus (package data).
CORPUS_INDEX_FILE = "corpus_ngrams.npz"


@dataclass(frozen=True, slots=True)
class Match:
    """One shared passage. ``kind``: ``melody`` or ``harmony``; ``part``: the score's part
    (empty for harmony); ``bars``: first and last bar in the score; ``source``: the piece id;
    ``source_part``; ``source_bars``: first and last bar there (the last estimated from the
    score's span); ``length``: notes (melody) or chords (harmony); ``flagged``: at or past
    the threshold; ``against``: which index found it."""

    kind: str
    part: str
    bars: tuple[int, int]
    source: str
    source_part: str
    source_bars: tuple[int, int]
    length: int
    flagged: bool
    against: str

    def describe(self) -> str:
        what = f"{self.length} notes" if self.kind == "melody" else f"{self.length} chords"
        here = f"part {self.part!r} " if self.part else "harmony "
        there = f" part {self.source_part!r}" if self.source_part else ""
        flag = "  FLAGGED" if self.flagged else ""
        return (f"{here}bars {self.bars[0]}-{self.bars[1]}: {what} shared with {self.source}{there} "
                f"bars {self.source_bars[0]}-{self.source_bars[1]} ({self.against}){flag}")


@dataclass(frozen=True)
class OriginalityReport:
    """What :func:`check_originality` found: ``matches`` longest first (a few per part and
    source), the thresholds, and what was searched."""

    matches: tuple[Match, ...]
    flag_notes: int
    flag_chords: int
    against: tuple[str, ...]
    skipped: tuple[str, ...] = field(default=())

    @property
    def longest_melody(self) -> Match | None:
        return next((m for m in self.matches if m.kind == "melody"), None)

    @property
    def longest_harmony(self) -> Match | None:
        return next((m for m in self.matches if m.kind == "harmony"), None)

    @property
    def flagged(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.flagged)

    @property
    def verdict(self) -> str:
        """``flagged`` when any passage reaches its threshold, else ``clear``."""
        return "flagged" if self.flagged else "clear"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: what provenance.json records under ``originality``."""
        lm, lh = self.longest_melody, self.longest_harmony
        return {"verdict": self.verdict, "against": list(self.against),
                "thresholds": {"flag_notes": self.flag_notes, "flag_chords": self.flag_chords},
                "longest_melody": asdict(lm) if lm else None, "longest_harmony": asdict(lh) if lh else None,
                "flagged": [asdict(m) for m in self.flagged], "skipped": list(self.skipped)}  # fmt: skip

    def summary(self, *, top: int = 5) -> str:
        """A few lines for people."""
        lines = [f"originality: {self.verdict} (flag at {self.flag_notes} shared notes or {self.flag_chords} "
                 f"shared chords; searched {', '.join(self.against)})"]  # fmt: skip
        for m in self.matches[:top]:
            lines.append("  " + m.describe())
        if not self.matches:
            lines.append("  no shared passage of a full window or longer")
        for s in self.skipped:
            lines.append(f"  skipped: {s}")
        if self.flagged:
            lines.append("  advice: compose again with another seed, or regenerate the flagged bars "
                         "(partita regenerate) so the passage is written anew")
        return "\n".join(lines)


@lru_cache(maxsize=1)
def corpus_index() -> NgramIndex:
    """The shipped index of the shipped composer's training corpus (loaded once).

    Raises
    ------
    ConfigError
        The package was installed without it.
    """
    ref = resources.files("partita.symbolic.composer").joinpath("weights", CORPUS_INDEX_FILE)
    if not ref.is_file():
        raise ConfigError(f"the corpus n-gram index {CORPUS_INDEX_FILE} is not installed; build it with "
                          "python -m partita.symbolic.composer.originality build")  # fmt: skip
    with resources.as_file(ref) as p:
        return NgramIndex.load(p)


def index_of_scores(items: Iterable[tuple[str, Any]], *, info: dict[str, Any] | None = None) -> NgramIndex:
    """An index of ``(piece id, Score)`` pairs, with the shipped index's commonplaces (when
    it is installed) so a scale run is common here too."""
    from partita.symbolic.composer.ngrams import IndexBuilder

    try:
        ci = corpus_index()
        common = (ci.melody.common, ci.harmony.common)
    except ConfigError:
        common = None
    b = IndexBuilder(common_hashes=common, info=info)
    for piece, score in items:
        b.add(piece, score)
    return b.finish()


def index_of_folder(folder: str | os.PathLike[str]) -> tuple[NgramIndex, list[str]]:
    """An index of every score in ``folder``, and the files skipped with their reason.

    Raises
    ------
    ConfigError
        The folder has no readable scores (named).
    """
    from partita.symbolic.composer.profile import read_scores

    scores, skipped = read_scores([folder])
    return index_of_scores(((name, s) for name, s in scores), info={"folder": str(folder)}), skipped


def _runs(qh: np.ndarray, qbars: np.ndarray, table: Table, width: int) -> list[tuple[int, int, int, int, int, int]]:
    """Shared passages of one query line: ``(length in items, first window, last window,
    piece, part, source first bar)``, items = windows + width."""
    if not len(qh) or not len(table.hash):
        return []
    lo, hi = table.lookup(qh)
    common = table.is_common(qh)
    ccum = np.concatenate([[0], np.cumsum(common)])
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for q in np.nonzero(hi > lo)[0]:
        sl = slice(lo[q], hi[q])
        for p, k, b in zip(table.piece[sl].tolist(), table.part[sl].tolist(), table.bar[sl].tolist()):
            groups.setdefault((p, k), []).append((int(q), b))
    out = []
    for (p, k), cands in groups.items():
        runs: list[list[int]] = []  # [start q, last q, start bar, last bar]
        for q, b in sorted(cands):
            for r in runs:
                gap = q - r[1]
                if gap >= 1 and ccum[q] - ccum[r[1] + 1] == gap - 1 and 0 <= b - r[3] <= 2 * gap + 1:
                    r[1], r[3] = q, b
                    break
            else:
                runs.append([q, q, b, b])
        for r in runs:
            out.append((r[1] - r[0] + 1 + width, r[0], r[1], p, k, r[2]))
    return out


def _search(score: Any, idx: NgramIndex, label: str, per_part: int) -> list[Match]:
    from partita.symbolic.composer.stylefeatures import chord_events, melodic_lines

    th = idx.info.get("thresholds") or thresholds()
    mw, hw = th["melody"]["window_notes"] - 1, th["harmony"]["window_chords"] - 1
    flag_n, flag_c = thresholds()["melody"]["flag_notes"], thresholds()["harmony"]["flag_chords"]
    found: list[Match] = []
    jobs = [("melody", ln.name or ln.part, window_hashes(melodic_tokens(ln.pitch, ln.onset_ql), mw), ln.bar, idx.melody, mw)
            for ln in melodic_lines(score)]  # fmt: skip
    ev = chord_events(score)
    jobs.append(("harmony", "", window_hashes(harmonic_tokens(ev.root, ev.quality, ev.duration_ql), hw), ev.bar, idx.harmony, hw))
    for kind, part, qh, qbars, table, width in jobs:
        runs = sorted(_runs(qh, qbars, table, width), key=lambda r: (-r[0], r[1], r[3]))
        seen: set[int] = set()
        for length, q0, q1, p, k, b0 in runs:
            if p in seen or len(seen) >= per_part:
                continue
            seen.add(p)
            end_q = min(q1 + width, len(qbars) - 1)
            bars = (int(qbars[q0]), int(qbars[end_q]))
            names = idx.part_names[p] if p < len(idx.part_names) else ()
            found.append(Match(kind, part, bars, idx.pieces[p], names[k] if kind == "melody" and k < len(names) else "",
                               (int(b0), int(b0) + bars[1] - bars[0]), int(length),
                               bool(length >= (flag_n if kind == "melody" else flag_c)), label))  # fmt: skip
    return found


def check_originality(score: Any, *, against: Sequence[str | os.PathLike[str] | NgramIndex] = ("corpus",),
                      per_part: int = 3) -> OriginalityReport:
    """The longest passages ``score`` shares with each of ``against``.

    Parameters
    ----------
    score
        A :class:`~partita.symbolic.score.Score`.
    against
        ``"corpus"`` (the shipped index of the composer's training corpus), a folder of
        scores, or an :class:`~partita.symbolic.composer.ngrams.NgramIndex`.
    per_part
        How many sources to report per part (the longest passage of each).

    Returns
    -------
    OriginalityReport
        Matches longest first; ``verdict`` ``clear`` or ``flagged``.

    Raises
    ------
    ConfigError
        The shipped index is missing, or a folder has no readable scores.
    """
    from partita.symbolic.composer.stylefeatures import is_drum_part

    labels, matches, skipped = [], [], []
    pitched = any(not is_drum_part(p) and p.notes for p in score.parts)
    if not pitched:
        skipped.append("no pitched notes: nothing to compare")
    for a in against:
        if isinstance(a, NgramIndex):
            idx, label = a, str(a.info.get("label", a.info.get("folder", "index")))
        elif str(a) == "corpus":
            idx = corpus_index()
            label = "corpus"
        else:
            idx, sk = index_of_folder(a)
            label = str(a)
            skipped.extend(sk)
        labels.append(label)
        if pitched:
            matches.extend(_search(score, idx, label, per_part))
    matches.sort(key=lambda m: (-m.length, m.kind, m.part, m.source))
    th = thresholds()
    return OriginalityReport(tuple(matches), th["melody"]["flag_notes"], th["harmony"]["flag_chords"],
                             tuple(labels), tuple(skipped))  # fmt: skip


def corpus_index_info() -> dict[str, Any]:
    """``corpus_ngrams.json``: what the shipped index covers and how it was built."""
    ref = resources.files("partita.symbolic.composer").joinpath("weights", "corpus_ngrams.json")
    return json.loads(ref.read_text("utf-8")) if ref.is_file() else {}


if __name__ == "__main__":  # pragma: no cover - the committed command that builds the shipped index
    import argparse
    import platform
    import subprocess
    import time

    from partita._fileio import atomic_write_text, sha256_file
    from partita.symbolic.composer.ngrams import build_corpus_index

    ap = argparse.ArgumentParser(description="build the shipped n-gram index from a parsed corpus cache "
                                 "(python -m partita.symbolic.composer.corpus --corpus music21:all first)")
    ap.add_argument("command", choices=["build"])
    ap.add_argument("--data-dir", default="data/composer")
    ap.add_argument("--collections", default=None, help="comma-separated; default every parsed collection")
    ap.add_argument("--out", default=str(Path(__file__).parent / "weights" / CORPUS_INDEX_FILE))
    ap.add_argument("--all-parsed", action="store_true", help="also index the parsed pieces the composer's "
                    "tokenizer refuses (by default the index holds the data card's pieces only)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    from partita.symbolic.composer.weights_info import shipped_path

    colls = a.collections.split(",") if a.collections else None
    idx = build_corpus_index(a.data_dir, a.out, collections_=colls, info={"label": "corpus"},
                             training_only=not a.all_parsed)
    from partita.symbolic.composer.corpus import coverage

    files = {k: {"parsed_files": v["parsed_files"], "available_files": v["available_files"]}
             for k, v in coverage(a.data_dir).items() if colls is None or k in colls}  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    meta = {"file": CORPUS_INDEX_FILE, "sha256": sha256_file(a.out), "bytes": Path(a.out).stat().st_size,
            "bytes_in_memory": idx.nbytes, "n_pieces": len(idx.pieces), "collections": idx.info["collections"],
            "skipped": idx.info["skipped"], "not_in_training": idx.info.get("not_in_training"), "files": files,
            "melody_windows": int(len(idx.melody.hash)),
            "melody_commonplaces": int(len(idx.melody.common)), "harmony_windows": int(len(idx.harmony.hash)),
            "harmony_commonplaces": int(len(idx.harmony.common)), "thresholds": thresholds(),
            "composer_weights_sha256": sha256_file(shipped_path()),
            "command": "python -m partita.symbolic.composer.originality build " + " ".join(
                f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}")
                for k, v in vars(a).items() if k not in ("command", "out") and v),
            "git_commit": commit, "machine": platform.platform(), "build_s": round(time.perf_counter() - t0, 1)}  # fmt: skip
    atomic_write_text(Path(a.out).with_suffix(".json"), json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(json.dumps(meta, indent=1))
