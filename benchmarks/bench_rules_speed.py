"""Speed of the rule engine and of the decode-time masks.

1. ``check``: the ``chorale`` profile (every rule but non-chord-tone needs nothing more; chord
   symbols are added so that it runs too) on a random 4-part, 200-bar score of quarters and
   eighths. Peer, side by side in this process: music21's ``VoiceLeadingQuartet.parallelFifth``
   over the same part pairs and sonorities (one rule against our twenty).
2. ``DecodeMask``: average time of one step (``allowed()`` + ``update()``) over random walks
   for a wind quintet, against a grammar-only peer (the same walk with keys, grid and
   parallels switched off), on the shipped tokenizer (855 tokens).

Targets (issue 3): check under 1 s; a mask step under 50 µs on average.

Usage: ``nice .venv/bin/python benchmarks/bench_rules_speed.py`` (writes
``benchmarks/results/rules_speed.json`` and ``.md``, written whole with the command,
commit, weights, machine and load).
"""

from __future__ import annotations

import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

ROOT = Path(__file__).resolve().parents[1]


def random_chorale(n_bars: int, rng: np.random.Generator):
    from partita.symbolic.pitch import KeySignature
    from partita.symbolic.score import ChordSymbol, Note, Part, Score
    from partita.theory_rules.rules_key import allowed_pcs

    key = KeySignature(0, 2, "major")
    pcs = sorted(allowed_pcs(key))
    voices = (("s", "Soprano", "soprano", 62, 79), ("a", "Alto", "alto", 55, 72),
              ("t", "Tenor", "tenor", 48, 67), ("b", "Bass", "bass", 41, 60))  # fmt: skip
    parts = []
    for pid, name, inst, lo, hi in voices:
        pool = [p for p in range(lo, hi + 1) if p % 12 in pcs]
        notes, t, p = [], Fraction(0), pool[len(pool) // 2]
        end = Fraction(4 * n_bars)
        while t < end:
            d = Fraction(1, 2) if rng.random() < 0.3 else Fraction(1)
            i = pool.index(p) + int(rng.integers(-2, 3))
            p = pool[min(max(i, 0), len(pool) - 1)]
            notes.append(Note(t, d, p))
            t += d
        parts.append(Part(pid, name, inst, tuple(notes)))
    chords = tuple(ChordSymbol(Fraction(4 * b), ("D", "G", "A7", "Bm")[b % 4]) for b in range(n_bars))
    return Score(title="random chorale", parts=tuple(parts), key_signatures=(key,), chords=chords)


def bench_check(n_bars: int = 200, repeats: int = 5) -> dict:
    from partita.theory_rules import check

    score = random_chorale(n_bars, np.random.default_rng(0))
    check(score)  # warm-up (imports, music21 chord parsing cache)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        report = check(score, profile="chorale")
        times.append(time.perf_counter() - t0)

    # peer: music21 VoiceLeadingQuartet.parallelFifth over the same pairs and sonorities
    from music21 import note, voiceLeading

    from partita.theory_rules.lines import ScoreView

    view = ScoreView(score)
    t0 = time.perf_counter()
    n_peer = 0
    for i, a in enumerate(view.lines):
        for b in view.lines[i + 1 :]:
            prev = None
            for _, na, nb in view.pair(a, b):
                if na is None or nb is None:
                    prev = None
                    continue
                if prev is not None:
                    vlq = voiceLeading.VoiceLeadingQuartet(
                        note.Note(midi=prev[0].pitch), note.Note(midi=na.pitch),
                        note.Note(midi=prev[1].pitch), note.Note(midi=nb.pitch),
                    )  # fmt: skip
                    n_peer += vlq.parallelFifth()
                prev = (na, nb)
    peer_s = time.perf_counter() - t0
    ours = sorted(times)[len(times) // 2]
    return {
        "score": f"4 parts, {n_bars} bars, {report.n_notes} notes",
        "rules": len(report.rules),
        "violations": len(report.violations),
        "check_median_s": round(ours, 4),
        "check_min_s": round(min(times), 4),
        "peer_music21_parallel_fifths_only_s": round(peer_s, 4),
        "peer_over_ours": round(peer_s / ours, 2),
        "parallel_fifths_ours_vs_music21": [len(report.by_rule("parallel-fifths")), int(n_peer)],
        "target_s": 1.0,
    }


def bench_masks(n_walks: int = 8, max_tokens: int = 600) -> dict:
    from partita.symbolic.composer.masks import DecodeMask, MaskTables
    from partita.symbolic.pitch import KeySignature
    from partita.symbolic.tokens import Tokenizer
    from partita.symbolic.tokens_format import PartLayout, PartSlot

    tok = Tokenizer.default()
    tables = MaskTables(tok)
    layout = PartLayout(tuple(PartSlot(i, i, i) for i in ("flute", "oboe", "clarinet", "horn", "bassoon")))
    keys = (KeySignature(0, -1, "minor"),)

    def walk(mask, rng):
        steps = 0
        spent = 0.0
        kinds = tables.kind
        while not mask.done:
            t0 = time.perf_counter()
            allowed = mask.allowed()
            spent += time.perf_counter() - t0
            choices = np.flatnonzero(allowed)
            if steps >= max_tokens:
                for k in ("Duration", "Velocity", "Pitch", "EOS", "Program"):
                    c = [i for i in choices if kinds[i] == k]
                    if c:
                        choices = c
                        break
            else:
                choices = [i for i in choices if kinds[i] != "EOS"] or choices
            token = int(choices[int(rng.integers(len(choices)))])
            t0 = time.perf_counter()
            mask.update(token, check=False)
            spent += time.perf_counter() - t0
            steps += 1
        return steps, spent

    out = {}
    for label, kwargs in (
        ("all_hard_rules", {"key_signatures": keys}),
        ("grammar_range_monophony_only", {"parallels": False, "grids": ["1/96"]}),
    ):
        steps = 0
        spent = 0.0
        for seed in range(n_walks):
            mask = DecodeMask(tok, layout, tables=tables, meters=[(4, 4), (3, 4)], **kwargs)
            s, t = walk(mask, np.random.default_rng(seed))
            steps += s
            spent += t
        out[label] = {"steps": steps, "mean_step_us": round(1e6 * spent / steps, 2)}
    out["vocab_size"] = tok.vocab_size
    out["overhead_of_the_theory_masks"] = round(
        out["all_hard_rules"]["mean_step_us"] / out["grammar_range_monophony_only"]["mean_step_us"], 2
    )
    out["target_us"] = 50
    return out


def main() -> int:
    result = {"check": bench_check(), "masks": bench_masks()}
    c, m = result["check"], result["masks"]
    lines = [
        "| measurement | value | target |",
        "|---|---|---|",
        f"| `check` (chorale profile, {c['score']}, {c['rules']} rules), median | {c['check_median_s']} s | "
        f"<= {c['target_s']} s |",
        f"| peer: music21's parallel fifths alone, same score | {c['peer_music21_parallel_fifths_only_s']} s "
        f"({c['peer_over_ours']}x ours) | |",
        f"| mask step, every hard rule, mean ({m['all_hard_rules']['steps']} steps) | "
        f"{m['all_hard_rules']['mean_step_us']} us | <= {m['target_us']} us |",
        f"| mask step, grammar, range and monophony only | {m['grammar_range_monophony_only']['mean_step_us']} us | |",
    ]
    write_results("rules_speed", result, lines, title="Rule checking and decode masks: speed",
                  command="nice .venv/bin/python benchmarks/bench_rules_speed.py")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
