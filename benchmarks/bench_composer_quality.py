"""Decoding ablation: how close composed lines sit to the music the composer learned from.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_composer_quality.py [--n 8] [--seconds S]
        [--styles chorale,fiddle] [--weights PATH]       # -> benchmarks/results/composer_quality.{json,md}

For each style and each decoding row (temperature, nucleus mass, per-role temperature), ``n``
pieces are composed from one prompt with seeds 0..n-1 under the style's default profile, and
compared with ``2 n`` held-out pieces of the style's reference collection (the corpus split by piece,
``partita.symbolic.composer.corpus.held_out``), drawn at random (seed 0) from the whole held-out
split (:func:`draw`; the split's own line statistics are reported beside them):

* ``chorale``: "a chorale for SATB choir" (all four parts written by the model, chorale masks)
  against ``2 n`` held-out four-part Bach chorales;
* ``fiddle``: "a reel" and "a jig", half each (the model writes the melody, the arranger the
  rest; only the melody is measured) against ``2 n`` held-out O'Neill tunes in 4/4, 2/2 or 6/8;
* ``quartet``: "a string quartet" (genre classical, all four parts written by the model under the
  classical masks), :data:`QUARTET_BARS` bars long, against ``2 n`` excerpts of as many bars cut
  from the held-out Haydn and Mozart string-quartet movements; the ceiling
  pool is the same excerpts of every Haydn and Mozart quartet movement of the corpus.

Measures per row: the MGEval-style overlapped area of :mod:`partita.symbolic.composer.evaluate`
(its ten features, mean) and the same measure over three features of the top line (stepwise
share, mean melodic interval, leap share); the top line's stepwise share (moves of 1-2
semitones among all moves, repeated notes not counted as moves), mean melodic interval
(semitones, over moves), share of leaps of a fourth or more (5+ semitones, among moves),
pitch-class entropy (bits, all written parts), mean range per part (semitones), hard-rule
violations (the rules the masks enforce; must be 0) and tokens per second (one torch thread): the
tokens of the pieces over the wall seconds and over the CPU seconds of composing them (best-of-N
rows spend the time of every candidate; their discarded tokens are in the JSON).
The reference's own values sit beside them, and the ceiling: the same overlapped areas of
reference against reference at the same set sizes (``n`` against ``2 n``, random disjoint draws
from a pool of training and held-out pieces of the collection, several splits).

The overlapped area is relative: compare a row with the ceiling of its own style only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs
from bench_composer import bach_chorales, hard_violations, heldout_bach

import numpy as np

#: Decoding rows per style: name -> keyword arguments of ``compose``. Every row names its
#: settings in full (best_of, key_mask and pitch_prior included: a genre's decoding.toml row may
#: set them), so the table does not move when decoding.toml does. Run with --rows to pick rows by
#: number (the same numbers for every style run). The rows of the earlier ablations (hotter and
#: cooler temperatures, likelihood-only and 2-bar best-of-N) are in composer_quality*.json and
#: composer_quality_bestof.json, made by this script at their commits.
_PLAIN = {"temperature": 1.0, "top_p": 0.95}
_CHORALE = {"temperature": 0.8, "top_p": 0.9, "role_temperature": {"melody": 0.6}}
#: ``pitch_prior`` of a row that uses the genre's fitted pitch tables (interval, degree,
#: register) without its rhythm tables (duration, rest): what the rhythm tables add.
PITCH_ONLY = "pitch tables only"
#: Another ``priors.json`` (an earlier fit) for every row with a prior (``--priors``); None: the shipped one.
PRIORS_FILE: str | None = None
#: ``pitch_prior`` of a row that uses every fitted table but reads the plan's energies on the
#: plain scale, not against the genre's own energy levels.
NO_ENERGY = "tables without the energy levels"
#: ``pitch_prior`` of a row that uses every fitted table and the energy levels but not the strike
#: tables (whether a free part strikes at the others' onsets): what the strike tables add.
NO_STRIKE = "tables without the strike tables"
_KEY = {"key_mask": True, "pitch_prior": False}
_FREE = {"key_mask": False, "pitch_prior": False}
_PRIOR = {"key_mask": False, "pitch_prior": PITCH_ONLY}


def _rows(base: dict, best_of: dict, key_mask: bool, rhythm: bool = False, whole: dict | None = None) -> dict[str, dict]:
    """The ablation rows of a style; ``key_mask``: the style's shipped key setting (the last row's);
    ``rhythm``: the style's genres have rhythm tables (the rows with them); ``whole``: its genre
    writes several parts (strike tables and energy levels, no rhythm tables): the best-of
    settings of two rows with the whole prior, with and without the strike tables."""
    key = "key mask" if key_mask else "no key mask"
    rows = {
        "before (issue 17 opened): best-of-1, key mask": {**base, **_KEY, "best_of": 1},
        "session 5: best-of-3 with the style critic, key mask": {**base, **_KEY, **best_of},
        "key mask off, best-of-1": {**base, **_FREE, "best_of": 1},
        "pitch prior, key mask, best-of-1": {**base, "key_mask": True, "pitch_prior": PITCH_ONLY, "best_of": 1},
        "pitch prior, no key mask, best-of-1": {**base, **_PRIOR, "best_of": 1},
        f"pitch prior, {key}, best-of-3 with the critic": {**base, "key_mask": key_mask, "pitch_prior": PITCH_ONLY, **best_of},
    }  # fmt: skip
    if whole is not None:
        label = "best-of-1" if whole.get("best_of", 1) == 1 else f"best-of-{whole['best_of']} with the critic"
        rows[f"pitch prior and corpus energy levels, no strike tables, {key}, {label}"] = {
            **base, "key_mask": key_mask, "pitch_prior": NO_STRIKE, **whole}  # fmt: skip
        rows[f"pitch prior, strike tables and corpus energy levels, {key}, {label}"] = {
            **base, "key_mask": key_mask, "pitch_prior": True, **whole}  # fmt: skip
    if rhythm:
        rows[f"pitch and rhythm prior, plain energy scale, {key}, best-of-3 with the critic"] = {
            **base, "key_mask": key_mask, "pitch_prior": NO_ENERGY, **best_of}  # fmt: skip
        rows[f"pitch and rhythm prior, corpus energy levels, {key}, best-of-1"] = {**base, "key_mask": key_mask,
                                                                                   "pitch_prior": True, "best_of": 1}  # fmt: skip
        rows[f"pitch and rhythm prior, corpus energy levels, {key}, best-of-3 with the critic"] = {
            **base, "key_mask": key_mask, "pitch_prior": True, **best_of}  # fmt: skip
    return rows


def with_prior(kwargs: dict, genre: str) -> dict:
    """``compose`` keyword arguments of a row for a plan of ``genre``: a :data:`PITCH_ONLY` row
    gets the genre's fitted tables without the rhythm and strike ones and the energy levels, a
    :data:`NO_ENERGY` row without the energy levels (the plan's energies on the plain scale), a
    :data:`NO_STRIKE` row without the strike tables; none: no prior. With :data:`PRIORS_FILE` set (``--priors``), every row with a prior takes its
    tables from that file instead of the shipped ``priors.json``."""
    if kwargs.get("pitch_prior") not in (PITCH_ONLY, NO_ENERGY, NO_STRIKE) and not (PRIORS_FILE and kwargs.get("pitch_prior")):
        return kwargs
    from partita.symbolic.composer.priors import RHYTHM_KINDS, load_priors

    drop = {PITCH_ONLY: ("energy", "strike", *RHYTHM_KINDS), NO_ENERGY: ("energy",),
            NO_STRIKE: ("strike",)}.get(kwargs["pitch_prior"], ())  # fmt: skip
    t = load_priors(PRIORS_FILE).get(genre)
    return {**kwargs, "pitch_prior": {k: v for k, v in t.items() if k not in drop} if t else False}


ROWS: dict[str, dict[str, dict]] = {
    "chorale": _rows(_CHORALE, {"best_of": 3, "phrase_bars": 4, "critic_weight": 1.0}, False, whole={"best_of": 1}),
    "fiddle": _rows(_PLAIN, {"best_of": 3, "phrase_bars": 2, "critic_weight": 1.0}, False, rhythm=True),
    "quartet": _rows(_PLAIN, {"best_of": 3, "phrase_bars": 2, "critic_weight": 1.0}, True,
                     whole={"best_of": 3, "phrase_bars": 2, "critic_weight": 1.0}),
}
LINE_FEATURES = ("stepwise_share", "mean_interval", "leap_share")
#: Issue 17's target: the top line's stepwise share within this of the reference's.
STEPWISE_TARGET = 0.05
#: Random draws of the reference's own stepwise gap (:func:`stepwise_gap`).
STEPWISE_DRAWS = 2000
FIDDLE_METERS = ((4, 4), (2, 2), (6, 8))
#: Bars per reference quartet excerpt, and the composed quartets' length: "a string quartet" is
#: planned in 4/4 at 100 bpm, so 8 bars are 19.2 s. Excerpts of the same size as the composed
#: pieces (whole movements have wider ranges and pitch sets than a short piece); 8 bars, not 16,
#: because the three held-out movements give only 9 excerpts of 16 bars.
QUARTET_BARS = 8
QUARTET_SECONDS = QUARTET_BARS * 4 * 60 / 100
#: Prompt and theory_rules profile (for the hard violations) per style.
PROMPTS = {"chorale": "a chorale for SATB choir", "quartet": "a string quartet"}
PROFILES = {"chorale": "chorale", "fiddle": "pop", "quartet": "classical"}


def line_stats(score) -> dict[str, float]:
    """The top line's (first pitched part's) stepwise share, mean interval and leap share over
    its moves (repeated notes are not moves); NaN without two moves."""
    from partita.symbolic.composer.stylefeatures import melodic_lines

    lines = melodic_lines(score)
    iv = np.abs(np.diff(lines[0].pitch.astype(np.int64))) if lines else np.zeros(0)
    moves = iv[iv > 0]
    if len(moves) < 2:
        return dict.fromkeys(LINE_FEATURES, float("nan"))
    return {"stepwise_share": float(np.mean(moves <= 2)), "mean_interval": float(np.mean(moves)),
            "leap_share": float(np.mean(moves >= 5))}  # fmt: skip


def piece_stats(score, feats: dict[str, np.ndarray]) -> dict:
    """The line statistics, pitch-class entropy, range per part and notes per bar per part of
    ``score``; ``feats``: its :func:`features` (the density is read from them)."""
    from partita.symbolic.composer import evaluate

    ranges = [float(np.ptp([n.pitch for n in p.notes])) for p in score.parts if p.notes and p.instrument != "drum_kit"]
    density = feats["notes_per_bar_per_part"][: len(ranges)]
    return {**line_stats(score), "pitch_class_entropy": evaluate.pitch_class_entropy(score),
            "range_per_part": ranges, "notes_per_bar_per_part": [float(x) for x in density]}  # fmt: skip


def features(score) -> dict[str, np.ndarray]:
    """evaluate's ten MGEval-style features plus the top line's three."""
    from partita.symbolic.composer import evaluate

    f = dict(evaluate._features(score))  # the benchmark measures with evaluate's own features
    f.update({k: np.array([0.0 if np.isnan(v) else v]) for k, v in line_stats(score).items()})
    return f


def overlap(gen: list[dict], ref: list[dict]) -> dict[str, float]:
    """Per-feature overlapped area, ``mgeval`` (mean of evaluate's ten) and ``line`` (mean of
    the top line's three)."""
    from partita.symbolic.composer import evaluate

    oa = evaluate._overlapped_area_of_features(gen, ref)
    oa.pop("mean")
    own = [k for k in oa if k not in LINE_FEATURES]
    return {**oa, "mgeval": float(np.mean([oa[k] for k in own])), "line": float(np.mean([oa[k] for k in LINE_FEATURES]))}


def ceiling(pool: list, n: int, n_ref: int, splits: int = 10) -> dict:
    """Reference against reference: ``splits`` random disjoint draws of ``n`` and ``n_ref``."""
    feats = [features(s) for s in pool]
    if len(feats) < n + n_ref:
        raise SystemExit(f"the reference pool has {len(feats)} pieces; {n} + {n_ref} are needed")
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(splits):
        order = rng.permutation(len(feats))
        rows.append(overlap([feats[i] for i in order[:n]], [feats[i] for i in order[n : n + n_ref]]))
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    out["sd"] = {k: float(np.std([r[k] for r in rows])) for k in ("mgeval", "line")}
    out.update({"sizes": [n, n_ref], "splits": splits, "pool": len(feats)})
    out["stepwise_gap"] = stepwise_gap(pool, n, n_ref)
    return out


def stepwise_gap(pool: list, n: int, n_ref: int, draws: int = STEPWISE_DRAWS) -> dict:
    """How far apart two sets of the reference itself sit on the top line's stepwise share at
    these sizes: the gap between the mean share of ``n`` and of ``n_ref`` pieces, disjoint random
    draws from ``pool``. ``sd`` of the gap, ``p95`` of its size, and ``over_target``: the share
    of draws whose gap is larger than :data:`STEPWISE_TARGET` (the noise a composed set's gap
    to the reference draw carries even if it wrote like the reference)."""
    steps = np.array([line_stats(s)["stepwise_share"] for s in pool])
    steps = steps[~np.isnan(steps)]
    rng = np.random.default_rng(1)
    gaps = np.empty(draws)
    for i in range(draws):
        order = rng.permutation(len(steps))
        gaps[i] = steps[order[:n]].mean() - steps[order[n : n + n_ref]].mean()
    return {"sd": float(np.std(gaps)), "p95": float(np.quantile(np.abs(gaps), 0.95)),
            "over_target": float(np.mean(np.abs(gaps) > STEPWISE_TARGET)), "draws": draws, "pool_mean": float(steps.mean())}  # fmt: skip


def rule_rates(scores: list, profile: str) -> dict[str, float]:
    """Over the set, per 100 notes: notes outside the key (``key-outside`` in strict mode, what
    the key mask forbids) and the violations (errors and warnings) of ``profile``'s rules with
    the profile's own settings (theory_rules; its key rule lenient: chromatic passing and
    neighbour tones pass)."""
    from partita.theory_rules import check

    strict = rules = notes = 0
    for s in scores:
        rep = check(s, profile=profile)
        rules += len(rep.violations)
        notes += rep.n_notes
        strict += dict(check(s, profile=profile, params={"key-outside": {"mode": "strict"}}).counts).get("key-outside", 0)
    return {"out_of_key_per_100": 100.0 * strict / max(notes, 1), "rules_per_100": 100.0 * rules / max(notes, 1)}


def summarise(scores: list, ref_feats: list | None, profile: str | None = None, feats: list | None = None) -> dict:
    """The set's statistics, and with ``ref_feats`` its overlap with the reference; ``feats``:
    the scores' :func:`features` where already computed."""
    feats = feats if feats is not None else [features(s) for s in scores]
    stats = [piece_stats(s, f) for s, f in zip(scores, feats)]
    out = {k: float(np.nanmean([s[k] for s in stats])) for k in (*LINE_FEATURES, "pitch_class_entropy")}
    if profile is not None:
        out.update(rule_rates(scores, profile))
    n_parts = max(len(s["range_per_part"]) for s in stats)
    for k in ("range_per_part", "notes_per_bar_per_part"):
        out[k] = [float(np.mean([s[k][i] for s in stats if len(s[k]) > i])) for i in range(n_parts)]
    if ref_feats is not None:
        out["overlap"] = overlap(feats, ref_feats)
    return out


def draw(pieces: list, k: int, seed: int = 0) -> list:
    """``k`` of ``pieces`` drawn at random (seeded; in their original order): the reference set.
    A random draw from the whole held-out split, not its first pieces in file order: the first
    16 held-out O'Neill tunes move by step far more often (0.69) than the split's 156 (0.59)."""
    if len(pieces) <= k:
        return list(pieces)
    idx = np.sort(np.random.default_rng(seed).choice(len(pieces), size=k, replace=False))
    return [pieces[i] for i in idx]


def oneills() -> tuple[list, list]:
    """Every held-out O'Neill tune in reel and jig meters, and every tune in those meters (the
    pool for the ceiling)."""
    from partita.symbolic.composer.corpus import held_out, parse_source, sources
    from partita.symbolic.score import Score

    held, pool = [], []
    for src in sources(["oneills"], max_files=0):
        for piece, d in parse_source(src):
            s = Score.from_dict(d)
            ts = s.time_signatures[0] if s.time_signatures else None
            if ts is None or (ts.numerator, ts.denominator) not in FIDDLE_METERS or not s.parts or len(s.parts[0].notes) < 16:
                continue
            pool.append(s)
            if held_out(piece):
                held.append(s)
    return held, pool


def quartets() -> tuple[list, list]:
    """Excerpts of :data:`QUARTET_BARS` bars of the held-out Haydn and Mozart string-quartet
    movements (taken in turn from each movement) and of every such movement (the pool for the
    ceiling). Only movements with four string parts count (the corpus' Mozart folder also holds
    a piano sonata)."""
    from partita.symbolic.composer.corpus import held_out, parse_source, sources
    from partita.symbolic.edits import slice_bars
    from partita.symbolic.score import Score

    strings = {"violin", "viola", "cello"}
    held_by_piece, pool = [], []
    for src in sources(["haydn", "mozart"], max_files=0):
        for piece, d in parse_source(src):
            s = Score.from_dict(d)
            if len(s.parts) != 4 or not all(p.instrument in strings for p in s.parts):
                continue
            last = (0 if s.pickup else 1) + s.n_bars - 1  # bars are numbered from 1 (a pickup is bar 0, left out)
            cuts = []
            for a in range(1, last - QUARTET_BARS + 2, QUARTET_BARS):
                x = slice_bars(s, a, a + QUARTET_BARS - 1)
                if all(p.notes for p in x.parts):
                    cuts.append(x)
            pool.extend(cuts)
            if held_out(piece):
                held_by_piece.append(cuts)
    held = [c[i] for i in range(max((len(c) for c in held_by_piece), default=0)) for c in held_by_piece if i < len(c)]
    return held, pool


def shipped_row(style: str) -> str:
    """The name of the row of ``style`` that decodes as ``decoding.toml`` does for its plans (the
    genre of its first prompt; reels and jigs share their settings): temperature, nucleus,
    per-role temperature, best-of, key mask and whether the prior is on. Where two rows match
    (a prior with some of its tables left out), the one with the whole prior."""
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import resolve_decoding

    d = resolve_decoding(plan(PROMPTS.get(style, "a reel"), duration_s=20, seed=0))
    match = [name for name, kw in ROWS[style].items()
             if kw.get("temperature") == d.temperature and kw.get("top_p") == d.top_p
             and dict(kw.get("role_temperature") or {}) == dict(d.role_temperature) and kw.get("best_of", 1) == d.best_of
             and kw.get("key_mask", True) == d.key_mask and bool(kw.get("pitch_prior")) == d.pitch_prior]  # fmt: skip
    if not match:
        raise SystemExit(f"no {style} row decodes as decoding.toml does ({d})")
    return next((m for m in match if ROWS[style][m].get("pitch_prior") is True), match[0])


#: The meters of the reference pieces each fiddle prompt is measured against (for its length).
FIDDLE_PROMPT_METERS = {"a reel": ((4, 4), (2, 2)), "a jig": ((6, 8),)}


def reference_lengths(style: str, held: list) -> dict[str, float]:
    """Prompt -> the median length (quarter notes) of the held-out pieces it is compared with:
    what a piece of the style is composed to (:func:`compose_set`), as the quartet's excerpts
    are cut to the composed length. Whole chorales and tunes vary in length, and a longer piece
    covers more pitches and a wider range, two of the overlap's features. None for the
    quartet (fixed :data:`QUARTET_BARS`)."""
    if style == "quartet":
        return {}
    if style == "chorale":
        return {PROMPTS["chorale"]: float(np.median([float(s.end) for s in held]))}
    return {prompt: float(np.median([float(s.end) for s in held
                                     if (s.time_signatures[0].numerator, s.time_signatures[0].denominator) in meters]))
            for prompt, meters in FIDDLE_PROMPT_METERS.items()}  # fmt: skip


def compose_set(style: str, n: int, seconds: float | None, kwargs: dict, model, first_seed: int = 0,
                lengths: dict[str, float] | None = None) -> tuple[list, dict]:
    """``n`` pieces of ``style`` (seeds ``first_seed``..): ``seconds`` long each, or where None,
    ``lengths[prompt]`` quarter notes at the tempo the planner gives the prompt."""
    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.sample import compose, resolve_decoding

    scores, tok, secs, cpu, hard, discarded = [], 0, 0.0, 0.0, 0, 0
    for i in range(first_seed, first_seed + n):
        prompt = PROMPTS.get(style) or ("a reel" if i % 2 == 0 else "a jig")
        if style == "quartet":
            duration = QUARTET_SECONDS
        elif seconds is None:
            duration = lengths[prompt] * 60.0 / plan(prompt, duration_s=30.0, seed=i).tempo_bpm
        else:
            duration = seconds
        p = plan(prompt, duration_s=duration, seed=i)
        c0 = time.process_time()
        s, st = compose(p, model=model, seed=i, return_stats=True, **with_prior(kwargs, p.genre))
        cpu += time.process_time() - c0
        if style == "fiddle":  # the model's line only (the arranger writes the rest)
            melody = next(q.id for q in p.instrumentation if q.role == "melody")
            s = dataclasses.replace(s, parts=tuple(q for q in s.parts if q.id == melody))
        hard += hard_violations(s, PROFILES[style], key=kwargs.get("key_mask", True))
        scores.append(s)
        tok += st.sampled + st.forced
        secs += st.seconds
        discarded += st.discarded
    used = dataclasses.asdict(resolve_decoding(p, kwargs.get("temperature"), kwargs.get("top_p"),
                                               kwargs.get("role_temperature"), best_of=kwargs.get("best_of")))  # fmt: skip
    for k in ("critic_weight", "phrase_bars", "key_mask", "pitch_prior"):
        if k in kwargs:
            used[k] = kwargs[k]
    if used["best_of"] == 1:
        used.pop("critic_weight"), used.pop("phrase_bars")
    return scores, {"hard_violations": hard, "tokens_per_second": tok / secs, "tokens": tok, "decoding": used,
                    "tokens_per_cpu_second": tok / cpu, "discarded_tokens": discarded}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    import torch

    from partita.symbolic.composer.sample import load_model

    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=None, help="checkpoint (default: shipped)")
    ap.add_argument("--n", type=int, default=8, help="pieces per row (the reference set is twice as many)")
    ap.add_argument("--seconds", type=float, default=None,
                    help="every chorale and fiddle tune this long (default: the median length of the held-out pieces "
                         "it is compared with, at the planned tempo)")
    ap.add_argument("--styles", default="chorale,fiddle,quartet")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + n - 1")
    ap.add_argument("--rows", default="", help="comma-separated row numbers (1-based) to run, or 'shipped' (the row "
                    "that decodes as decoding.toml does); default all")
    ap.add_argument("--out", default="composer_quality")
    ap.add_argument("--priors", default=None, help="an earlier fit's priors.json for every row with a prior (default: shipped)")
    a = ap.parse_args(argv)
    global PRIORS_FILE
    PRIORS_FILE = a.priors
    torch.set_num_threads(1)
    model = load_model(a.weights)
    res: dict = {"weights": a.weights or "shipped", "priors": _priors_record(a.priors), "threads": 1, "n": a.n, "seconds": a.seconds, "first_seed": a.first_seed,
                 "styles": {}}  # fmt: skip
    t_all = time.perf_counter()
    for style in a.styles.split(","):
        t = time.perf_counter()
        if style == "chorale":
            held = heldout_bach(10**6)
            pool = bach_chorales(4 * a.n + 8)
            reference = "held-out four-part Bach chorales (music21 corpus)"
        elif style == "fiddle":
            held, pool = oneills()
            reference = "held-out O'Neill tunes in 4/4, 2/2 or 6/8 (music21 corpus, oneills1850)"
        elif style == "quartet":
            held, pool = quartets()
            reference = (f"{QUARTET_BARS}-bar excerpts of the held-out Haydn and Mozart string-quartet movements "
                         "(music21 corpus: haydn/opus1no1/movement1, mozart/k156/movement2, mozart/k80/movement3)")
        else:
            raise SystemExit(f"unknown style {style!r}: chorale, fiddle or quartet")
        ref = draw(held, 2 * a.n)
        ref_feats = [features(s) for s in ref]
        out: dict = {"reference_set": reference, "n_reference": len(ref), "reference": summarise(ref, None, PROFILES[style], ref_feats),
                     "held_out_split": {"pieces": len(held), **{k: v for k, v in summarise(held, None).items()
                                                                 if k in (*LINE_FEATURES, "pitch_class_entropy")}},
                     "ceiling": ceiling(pool, a.n, len(ref)), "rows": {}}  # fmt: skip
        out["reference"]["hard_violations"] = sum(hard_violations(s, PROFILES[style]) for s in ref)
        print(style, "reference", json.dumps(out["reference"]), "ceiling", out["ceiling"]["mgeval"], out["ceiling"]["line"],
              f"{time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)  # fmt: skip
        rows = list(ROWS[style].items())
        out["shipped_row"] = shipped_row(style)
        out["lengths_ql"] = reference_lengths(style, held)
        if a.rows == "shipped":
            rows = [(out["shipped_row"], ROWS[style][out["shipped_row"]])]
        elif a.rows:
            rows = [rows[int(k) - 1] for k in a.rows.split(",") if int(k) <= len(rows)]
        for name, kwargs in rows:
            scores, run = compose_set(style, a.n, a.seconds, kwargs, model, a.first_seed, out["lengths_ql"])
            row = {"settings": kwargs, **run, **summarise(scores, ref_feats, PROFILES[style])}
            out["rows"][name] = row
            print(style, name, json.dumps({k: v for k, v in row.items() if k != "overlap"}),
                  f"OA {row['overlap']['mgeval']:.3f} line {row['overlap']['line']:.3f}", file=sys.stderr, flush=True)  # fmt: skip
        out["seconds"] = time.perf_counter() - t
        res["styles"][style] = out
    res["total_seconds"] = time.perf_counter() - t_all
    write_results(a.out, res, _md(res), title="Composer decoding ablation: composed sets against held-out reference pieces")
    return 0


def _priors_record(path: str | None) -> dict:
    """Which priors.json the rows with a prior used: its path and sha256."""
    import hashlib
    from pathlib import Path

    from partita.symbolic.composer import priors

    f = Path(path) if path else priors._FILE
    return {"file": str(path) if path else "shipped (symbolic/composer/priors.json)",
            "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}


def _fmt_range(r: list[float]) -> str:
    return " / ".join(f"{x:.1f}" for x in r)


def _stepwise_check(out: dict) -> list[str]:
    """The shipped row's stepwise share against the reference draw's and the held-out split's,
    beside the reference's own draw-to-draw gap at these set sizes."""
    c, h, ref = out["ceiling"], out.get("held_out_split"), out["reference"]
    g = c.get("stepwise_gap")
    name = out.get("shipped_row")
    if name not in out["rows"] or g is None:
        return []
    r = out["rows"][name]
    x = r["stepwise_share"]
    split = (f", and {x - h['stepwise_share']:+.2f} from the whole held-out split's {h['stepwise_share']:.2f} "
             f"({h['pieces']} pieces)") if h else ""  # fmt: skip
    return [f"Stepwise check (the shipped decoding, {name}): the top line moves by step {x:.2f} of the time, {x - ref['stepwise_share']:+.2f} "
            f"from the reference draw's {ref['stepwise_share']:.2f}{split}; the target is within {STEPWISE_TARGET}. "
            f"Two sets of the reference itself at these sizes ({c['sizes'][0]} and {c['sizes'][1]} pieces, "
            f"{g['draws']} random disjoint draws from the pool, whose mean is {g['pool_mean']:.2f}) differ by "
            f"sd {g['sd']:.3f}, by more than {STEPWISE_TARGET} in {100 * g['over_target']:.0f} % of draws (95 % within "
            f"{g['p95']:.3f})."]  # fmt: skip


def _md(res: dict) -> list[str]:
    if res.get("seconds") is None:
        lengths = "; ".join(f"{p!r} {q:g} quarter notes" for o in res["styles"].values() for p, q in o.get("lengths_ql", {}).items())
        size = (f"each chorale and fiddle tune as long as the median held-out piece it is compared with, at the planned "
                f"tempo ({lengths}); quartets {QUARTET_BARS} bars, {QUARTET_SECONDS:.1f} s")  # fmt: skip
    else:
        size = f"{res['seconds']:.0f} s each (quartets {QUARTET_BARS} bars, {QUARTET_SECONDS:.1f} s)"
    lines = [f"{res['n']} pieces per row, {size}, seeds {res['first_seed']}-{res['first_seed'] + res['n'] - 1}; weights: {res['weights']}; "
             f"priors: {res.get('priors', {}).get('file', 'shipped')} (sha256 {res.get('priors', {}).get('sha256', '?')[:16]}); "
             "one torch thread. OA: MGEval-style overlapped area against the held-out set (`evaluate`'s ten features, "
             "mean); line OA: the same over the top line's stepwise share, mean interval and leap share. Stepwise share, "
             "mean interval (semitones) and leaps (a fourth or more) are over the top line's moves (repeated notes "
             "excluded). Range: mean range per part in semitones, top part first; notes/bar: new notes of each part's line per bar, top part first. Out of key: notes outside the key (theory_rules "
             "key-outside, strict) per 100 notes; rules: every violation of the style's theory_rules profile (its own settings) "
             "per 100 notes, the reference's beside them. Hard: violations of the rules the masks enforce (key-outside only "
             "where the key mask is on; the reference's count is of every one), summed over the set. Tokens/s: the pieces' tokens over the wall and the CPU seconds of composing "
             "them (best-of-N spends the time of all its candidates).", ""]  # fmt: skip
    for style, out in res["styles"].items():
        c = out["ceiling"]
        h = out.get("held_out_split")
        split = (f" (drawn at random, seed 0, from the {h['pieces']} of the held-out split, whose top line moves by step "
                 f"{h['stepwise_share']:.2f} of the time, mean interval {h['mean_interval']:.2f})") if h else ""  # fmt: skip
        lines += [f"## {style}", "", f"Reference: {out['n_reference']} {out['reference_set']}{split}. Ceiling: the reference "
                  f"against itself, {c['sizes'][0]} against {c['sizes'][1]} pieces drawn from a pool of {c['pool']}, "
                  f"{c['splits']} splits.", "",
                  "| decoding | OA | OA / ceiling | line OA | stepwise | mean interval | leaps >= 4th | pc entropy | range per part | notes/bar per part | out of key /100 | rules /100 | hard | tokens/s (wall) | tokens/s (CPU) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for name, r in out["rows"].items():
            o = r["overlap"]
            shown = f"**{name} (shipped)**" if name == out.get("shipped_row") else name
            lines.append(f"| {shown} | {o['mgeval']:.3f} | {o['mgeval'] / c['mgeval']:.2f} | {o['line']:.3f} | "
                         f"{r['stepwise_share']:.2f} | {r['mean_interval']:.2f} | {r['leap_share']:.2f} | "
                         f"{r['pitch_class_entropy']:.2f} | {_fmt_range(r['range_per_part'])} | {_fmt_density(r)} | "
                         f"{r['out_of_key_per_100']:.1f} | {r['rules_per_100']:.1f} | {r['hard_violations']} | "
                         f"{r['tokens_per_second']:.0f} | {r.get('tokens_per_cpu_second', float('nan')):.0f} |")  # fmt: skip
        ref = out["reference"]
        lines.append(f"| reference ({out['n_reference']} pieces) | ceiling {c['mgeval']:.3f} +- {c['sd']['mgeval']:.3f} | 1 | "
                     f"ceiling {c['line']:.3f} +- {c['sd']['line']:.3f} | {ref['stepwise_share']:.2f} | {ref['mean_interval']:.2f} | "
                     f"{ref['leap_share']:.2f} | {ref['pitch_class_entropy']:.2f} | {_fmt_range(ref['range_per_part'])} | "
                     f"{_fmt_density(ref)} | {ref['out_of_key_per_100']:.1f} | {ref['rules_per_100']:.1f} | {ref['hard_violations']} | - | - |")  # fmt: skip
        lines += ["", *_stepwise_check(out), "", *_per_feature(out), "", f"{out['seconds']:.0f} s for this style.", ""]
    return lines


def _fmt_density(r: dict) -> str:
    return " / ".join(f"{x:.1f}" for x in r.get("notes_per_bar_per_part", [])) or "-"


def _per_feature(out: dict) -> list[str]:
    """The overlapped area of every feature, for the rows and the ceiling."""
    c = out["ceiling"]
    names = [k for k in c if k not in ("mgeval", "line", "sd", "sizes", "splits", "pool", "stepwise_gap")]
    rows = list(out["rows"].items())
    head = " | ".join(f"**{n}**" if n == out.get("shipped_row") else n for n, _ in rows)
    lines = ["Overlapped area per feature (the top line's three last):", "",
             f"| feature | {head} | ceiling |", "| --- |" + " ---: |" * (len(rows) + 1)]  # fmt: skip
    for k in names:
        lines.append(f"| {k.replace('_', ' ')} | " + " | ".join(f"{r['overlap'][k]:.3f}" for _, r in rows) + f" | {c[k]:.3f} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
