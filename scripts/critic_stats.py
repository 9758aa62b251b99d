"""Make ``symbolic/composer/critic_stats.json``: the reference statistics of the best-of-N style
critic (:mod:`partita.symbolic.composer.critic`), per style, from the training split of the
music21 corpus collections the composer learned from (held-out pieces are left out: the
benchmark compares with them).

    .venv/bin/python scripts/critic_stats.py [--data-dir data/composer]

Reads the parsed corpus cache of ``partita train-composer`` (``DATA_DIR/scores``) where it has a
collection, else parses the collection from the music21 corpus. Every piece is tokenized as the
composer is trained (``corpus.tokenize_piece``), cut into phrases of each length of
``critic.PHRASE_LENGTHS`` token bars, and each phrase's statistics are measured by ``critic.phrase_stats``: the file holds their
mean and standard deviation (scalars), the mean interval histogram and the mean total-variation
distance of a phrase's histogram to it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "symbolic" / "composer" / "critic_stats.json"

#: style -> collections (corpus.toml), the plan genres it judges, which pieces count, most pieces.
STYLES = {
    "chorale": {"collections": ["bach"], "genres": ["chorale"], "title": "J. S. Bach, four-part chorales",
                "max_pieces": 400},
    "fiddle": {"collections": ["oneills"], "genres": ["reel", "jig", "folk"],
               "title": "O'Neill's Music of Ireland (1850 tunes), tunes in 4/4, 2/2 or 6/8", "max_pieces": 600},
    "quartet": {"collections": ["haydn", "mozart"], "genres": ["classical"],
                "title": "Haydn and Mozart string quartets (movements with four string parts)", "max_pieces": 100},
}  # fmt: skip
FIDDLE_METERS = ((4, 4), (2, 2), (6, 8))
STRINGS = {"violin", "viola", "cello"}


def _keep(style: str, d: dict) -> bool:
    from partita.symbolic.score import Score

    s = Score.from_dict(d)
    if style == "chorale":
        return len(s.parts) == 4
    if style == "fiddle":
        ts = s.time_signatures[0] if s.time_signatures else None
        return ts is not None and (ts.numerator, ts.denominator) in FIDDLE_METERS and bool(s.parts) and len(s.parts[0].notes) >= 16
    return len(s.parts) == 4 and all(p.instrument in STRINGS for p in s.parts)


def pieces(collections: list[str], data_dir: Path):
    """``(piece id, score dict)`` of the collections: from the cache where it has them."""
    from partita.symbolic.composer.corpus import cached_scores, parse_source, sources

    for c in collections:
        if (data_dir / "scores" / c).is_dir():
            for _, piece, d in cached_scores(data_dir, collections_=[c]):
                yield piece, d
        else:
            for src in sources([c], max_files=0):
                yield from parse_source(src)


def style_entry(style: str, spec: dict, data_dir: Path) -> dict:
    from partita.errors import PartitaError
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.corpus import held_out, tokenize_piece
    from partita.symbolic.composer.critic import INTERVAL_BINS, PHRASE_LENGTHS, SCALARS, phrase_stats

    v = ComposerVocab.default()
    melody_role = v.role_id("melody")
    rows: dict[int, list] = {n: [] for n in PHRASE_LENGTHS}
    n_pieces = 0
    for piece, d in sorted(pieces(spec["collections"], data_dir), key=lambda x: x[0]):
        if held_out(piece) or not _keep(style, d):
            continue
        try:
            ids, header_len, _ = tokenize_piece(d, v)
        except PartitaError:
            continue
        roles = ids[3:header_len]
        slot = roles.index(melody_role) if melody_role in roles else 0
        bars: list[list[int]] = []
        for i in ids[header_len:]:
            if i == v.bar:
                bars.append([i])
            elif i != v.eos and bars:
                bars[-1].append(i)
        for n in PHRASE_LENGTHS:
            for k in range(0, len(bars) - n + 1, n):
                rows[n].append(phrase_stats(bars[k : k + n], slot, v))
        n_pieces += 1
        if n_pieces >= spec["max_pieces"]:
            break
    by_length = {}
    for n, rs in rows.items():
        mean = {k: float(np.nanmean([r[k] for r in rs])) for k in SCALARS}
        sd = {k: float(np.nanstd([r[k] for r in rs])) for k in SCALARS}
        hists = np.array([r["intervals"] for r in rs if r["intervals"] is not None])
        h_mean = hists.mean(axis=0)
        tv = float(np.mean(0.5 * np.abs(hists - h_mean).sum(axis=1)))
        print(style, n_pieces, "pieces", len(rs), f"phrases of {n} bars", mean, file=sys.stderr)
        by_length[str(n)] = {"phrases": len(rs), "mean": mean, "sd": sd,
                             "intervals": [round(float(x), 6) for x in h_mean], "intervals_tv": tv}  # fmt: skip
    return {"title": spec["title"], "collections": spec["collections"], "genres": spec["genres"], "pieces": n_pieces,
            "interval_bins": list(INTERVAL_BINS), "phrases": by_length}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from partita._fileio import atomic_write_text
    from partita.symbolic.composer.critic import PHRASE_LENGTHS

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(ROOT / "data" / "composer"), help="the parsed corpus cache")
    a = ap.parse_args(argv)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    out = {
        "source": "the training split (corpus.held_out False) of the music21 corpus collections named per style, "
                  "tokenized as the composer is trained; made by scripts/critic_stats.py",
        "command": "python scripts/critic_stats.py", "commit": commit, "phrase_lengths": list(PHRASE_LENGTHS),
        "styles": {name: style_entry(name, spec, Path(a.data_dir)) for name, spec in STYLES.items()},
    }  # fmt: skip
    atomic_write_text(OUT, json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
