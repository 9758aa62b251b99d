"""Fit ``symbolic/composer/priors.json``: the composer's calibrated step/leap, scale-degree,
register and rhythm priors (:mod:`partita.symbolic.composer.priors`), per genre, against the training split of the
genre's reference collection (held-out pieces are never read: the benchmark compares with them).

    OMP_NUM_THREADS=1 .venv/bin/python scripts/calibrate_priors.py [--genres chorale,reel,jig,classical]
        [--rounds 4] [--n 16] [--weights PATH] [--data-dir data/composer] [--resume]

For each genre: the reference's interval, degree, register, duration and rest counts (``priors.line_counts``, parts read
top down: melody, inner, bass), then ``--rounds`` rounds of: compose ``--n`` pieces from the
genre's prompt with the genre's shipped decoding (``decoding.toml``) and the tables fitted so
far (calibration seeds 1000 and up, every other one in a minor key, each tonic drawn by the
reference's own key shares and named in the prompt; the benchmark uses seeds 0-23), count their lines the same way
(parts by their planned role; parts the arranger wrote are not counted), and move the tables
by the log ratio of the shares (``priors.update``: every table). The file records every round's total
variation distance between the composed and the reference histograms, so the fit can be seen
converging (``--resume`` goes on from the tables in ``--out``, for instance with more pieces per
round and a lower rate once the fit has reached the noise of its set size; the entry then names
both commands and keeps the earlier rounds); the tables of the round whose composed set came closest to the reference (the mean
of the distances of the tables it fits; rounds 1 and up) are kept. Each genre's entry names the command that
refits it alone (genres are fitted independently: the same tables either way). The weights' sha256 is recorded: a prior
is fitted to one composer and is refitted when the weights change. The file also holds each
genre's key shares (tonic per mode in the training split): the planner draws a piece's tonic
from them when the prompt names no key; and its energy shares (``energy``: per meter, the share
of the training pieces' bars at each ``Energy`` control level), which every round composes with
and ``compose`` then reads the plan's section energies against (not fitted: the reference's own).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "symbolic" / "composer" / "priors.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from critic_stats import STYLES, _keep, pieces  # noqa: E402  (scripts/ is not a package)

#: genre -> (critic_stats style whose collection and filter it uses, meters kept, prompt,
#: seconds per calibration piece, the role groups the model writes in it)
GENRES = {
    "chorale": ("chorale", None, "a chorale for SATB choir", 52.0, ("melody", "inner", "bass")),
    "reel": ("fiddle", ((4, 4), (2, 2)), "a reel", 36.0, ("melody",)),
    "jig": ("fiddle", ((6, 8),), "a jig", 36.0, ("melody",)),
    "classical": ("quartet", None, "a string quartet", 36.0, ("melody", "inner", "bass")),
}  # fmt: skip


#: Fewest pieces in a mode for its key shares to be kept (else every tonic is equally likely).
MIN_KEY_PIECES = 30
#: The share of the reference's notes (per role group) that the composed parts' instruments can
#: sound in their comfortable range, below which the group's register table is left at zero (a
#: jig's tin whistle sits an octave above O'Neill's violin tunes: it cannot be moved there).
MIN_REGISTER_COVER = 0.8
#: Fewest reference bars in a meter for its energy-level shares to be kept.
MIN_ENERGY_BARS = 200
def reference_counts(genre: str, data_dir: Path) -> tuple[dict, int]:
    """The line counts of the genre's training pieces, and ``counts["energy"]``: meter ->
    bars at each ``Energy`` level (the controls the tokenizer gives those pieces)."""
    from partita.symbolic.composer.controls import ENERGY_LEVELS, controls_of
    from partita.symbolic.composer.corpus import held_out
    from partita.symbolic.composer.priors import line_counts, meter_key
    from partita.symbolic.score import Score

    style, meters, *_ = GENRES[genre]
    spec = STYLES[style]
    counts, n = None, 0
    energy: dict[str, np.ndarray] = {}
    for piece, d in sorted(pieces(spec["collections"], data_dir), key=lambda x: x[0]):
        if held_out(piece) or not _keep(style, d):
            continue
        s = Score.from_dict(d)
        if meters is not None:
            ts = s.time_signatures[0]
            if (ts.numerator, ts.denominator) not in meters:
                continue
        counts = line_counts(s, None, counts)
        meter = meter_key(s.time_signatures[0].numerator, s.time_signatures[0].denominator)
        energy[meter] = energy.get(meter, 0) + np.bincount([b.energy for b in controls_of(s).bars], minlength=ENERGY_LEVELS)
        n += 1
        if n >= spec["max_pieces"]:
            break
    counts["energy"] = energy
    return counts, n


def energy_shares(ref: dict) -> dict[str, list[float]]:
    """Meter -> each energy level's share of the reference's bars in it, for the meters with at
    least :data:`MIN_ENERGY_BARS` bars: what the composer reads a plan's section energies against
    (:func:`partita.symbolic.composer.controls.energy_level`)."""
    return {m: [round(float(x) / float(c.sum()), 4) for x in c] for m, c in sorted(ref["energy"].items())
            if c.sum() >= MIN_ENERGY_BARS}  # fmt: skip


def composed_counts(genre: str, tables: dict, n: int, model, keys: dict) -> tuple[dict, dict]:
    import dataclasses

    from partita.symbolic.composer.planner import plan
    from partita.symbolic.composer.priors import empty_counts, line_counts, role_group
    from partita.symbolic.composer.sample import compose

    from partita import instruments

    _, _, prompt, seconds, groups = GENRES[genre]
    counts = empty_counts()
    counts["ranges"] = {g: set() for g in groups}  # the pitches the written parts of each group may sound
    tokens = 0
    import random

    from partita.symbolic.composer.priors import TONIC_NAMES

    for seed in range(1000, 1000 + n):
        # every other piece in a minor key (the planner writes major unless asked), so that both
        # modes' degree tables are fitted; the tonic drawn by the reference's own key shares (what
        # the planner draws from once priors.json holds them)
        mode = "major" if seed % 2 == 0 else "minor"
        tonic = random.Random(seed).choices(TONIC_NAMES[mode], weights=[w + 1e-9 for w in keys[mode]])[0]
        p = plan(f"{prompt} in {tonic} {mode}", duration_s=seconds, seed=seed)
        s, st = compose(p, model=model, seed=seed, pitch_prior=tables, return_stats=True)
        roles = {q.id: q.role for q in p.instrumentation}
        parts = [q for q in s.parts if roles[q.id] != "percussion" and role_group(roles[q.id]) in groups]
        for q in parts:
            lo, hi = instruments.get(q.instrument).comfortable_range
            counts["ranges"][role_group(roles[q.id])].update(range(lo, hi + 1))
        line_counts(dataclasses.replace(s, parts=tuple(parts)), [roles[q.id] for q in parts], counts)
        tokens += st.sampled
    return counts, {"sampled_tokens": tokens}


def _tv(a: np.ndarray, b: np.ndarray) -> float:
    if a.sum() == 0 or b.sum() == 0:
        return float("nan")
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())


def distances(ref: dict, gen: dict, groups) -> dict:
    from partita.symbolic.composer.priors import MODES

    out = {}
    for g in groups:
        # the top line's intervals pooled over the modes (what the benchmark sees), and per mode (the tables)
        out[f"interval {g}"] = _tv(sum(ref["interval"][g].values()), sum(gen["interval"][g].values()))
        out[f"register {g}"] = _tv(ref["register"][g], gen["register"][g])
        out[f"duration {g}"] = _tv(ref["duration"][g], gen["duration"][g])
        out[f"rest {g}"] = _tv(ref["rest"][g], gen["rest"][g])
        out[f"strike {g}"] = _tv(ref["strike"][g], gen["strike"][g])
        for m in MODES:
            out[f"interval {g} {m}"] = _tv(ref["interval"][g][m], gen["interval"][g][m])
            out[f"degree {g} {m}"] = _tv(ref["degree"][g][m], gen["degree"][g][m])
    return {k: round(v, 4) for k, v in out.items() if v == v}


def _fitted_mean(d: dict, kinds, covered: dict) -> float:
    """The mean of the distances ``d`` of the tables a genre fits: of ``kinds``, and no register
    a group's instruments cannot reach (:data:`MIN_REGISTER_COVER`). The intervals count per mode
    (the tables); their pooled distance ("interval melody", what the benchmark sees) is derived
    from the same counts and is left out, or the intervals would weigh more than the rest."""
    keep = [v for k, v in d.items() if k.split()[0] in kinds
            and not (k.startswith("interval ") and len(k.split()) == 2)
            and not (k.startswith("register ") and covered.get(k.split()[1], 1.0) < MIN_REGISTER_COVER)]  # fmt: skip
    return float(np.mean(keep))


def _earlier_seconds(start: dict | None) -> float | None:
    """The fitting seconds of every stage before this one (None: none, or not recorded)."""
    if not start:
        return None
    if start.get("earlier_rounds") and start.get("earlier_fit_seconds") is None:
        return None
    return float(start.get("earlier_fit_seconds") or 0.0) + float(start.get("fit_seconds", 0.0))


def fit_genre(genre: str, rounds: int, n: int, rate: float, weights: str | None, data_dir: str,
              start: dict | None = None, only: tuple[str, ...] | None = None) -> dict:
    """The fitted tables of one genre and the record of its rounds; ``start``: the genre's entry
    of an earlier fit to go on from (its tables, then its rounds; None: from zero tables);
    ``only``: fit these tables alone (the others are left out of the entry), the note-length
    and rest tables too where several parts are written; None: the genre's default kinds."""
    import torch

    from partita.symbolic.composer.priors import KINDS, RHYTHM_KINDS, update, zero_tables
    from partita.symbolic.composer.sample import load_model

    torch.set_num_threads(1)
    model = load_model(weights)
    t0 = time.perf_counter()
    groups = GENRES[genre][4]
    ref, n_ref = reference_counts(genre, Path(data_dir))
    key_shares = {m: [float(x) / max(float(ref["keys"][m].sum()), 1.0) if ref["keys"][m].sum() >= MIN_KEY_PIECES
                      else 1.0 / 12 for x in ref["keys"][m]] for m in ref["keys"]}  # fmt: skip
    # the rhythm tables only where the model writes one line (reels, jigs): there the next onset
    # is that line's next note, and its rest is what the onset bias chooses. Where it writes
    # several parts the rhythm fit diverged and is left to the model: with the rests fitted, the
    # quartet's first violin went from a rest distance of 0.26 to 0.75 and a note-length distance
    # of 0.41 to 0.60 after one round; with the note lengths alone, the chorale soprano's went
    # from 0.59 to 0.77 (lengths the model almost never writes, such as dotted quarters, are
    # multiplied by up to e^3 in one step).
    # The strike tables only where it writes several: whether a free part strikes at an onset of
    # the others (one line always strikes at its own onsets).
    skip = ("strike",) if len(groups) == 1 else RHYTHM_KINDS
    # --kinds names the tables to fit, the rhythm ones included where several parts are written
    if only:
        kinds = tuple(k for k in KINDS if k in only and not (k == "strike" and len(groups) == 1))
    else:
        kinds = tuple(k for k in KINDS if k not in skip)
    tables = {k: (start or {}).get(k, v) for k, v in zero_tables().items() if k in kinds}
    # not fitted: the reference's own energy levels per meter, which the composer reads the plan's
    # section energies against (a jig's busiest section asked for a density no O'Neill jig has)
    tables["energy"] = energy_shares(ref)
    history = []
    covered: dict = {}
    tried = []  # (mean distance, round, tables) of every round composed with fitted tables
    for r in range(rounds):
        gen, info = composed_counts(genre, tables, n, model, key_shares)
        d = distances(ref, gen, groups)
        if r or start:  # a resumed fit's round 0 is composed with fitted tables too
            tried.append((_fitted_mean(d, kinds, covered), r, tables))
        first = "the earlier fit's kept tables" if start else "zero"
        history.append({"round": r, "tables": first if r == 0 else f"after round {r - 1}", "tv": d, **info})
        print(genre, "round", r, json.dumps(d), file=sys.stderr, flush=True)
        if not covered:  # how much of the reference's register the written instruments can sound
            covered = {g: float(ref["register"][g][sorted(gen["ranges"][g])].sum() / max(ref["register"][g].sum(), 1))
                       for g in groups}  # fmt: skip
        tables = update(tables, ref, gen, rate=rate, groups=groups, kinds=kinds)
        for g in groups:  # a register the instruments cannot reach is not fitted: the table would only
            if covered[g] < MIN_REGISTER_COVER:  # pile the notes on the edge of their range
                tables["register"][g] = [0.0] * 128
    gen, info = composed_counts(genre, tables, n, model, key_shares)
    d = distances(ref, gen, groups)
    tried.append((_fitted_mean(d, kinds, covered), rounds, tables))
    history.append({"round": rounds, "tables": f"after round {rounds - 1}", "tv": d, **info})
    # the tables of the round closest to the reference (mean of the distances it fits) are kept
    _, kept, tables = min(tried, key=lambda x: x[0])
    history[kept]["tables"] += " (kept)"
    print(genre, "kept the tables of round", kept, json.dumps(history[kept]["tv"]), file=sys.stderr, flush=True)
    # the planner draws from a mode's key shares only where the collection has enough pieces in it
    planner_keys = {m: [round(w, 4) for w in v] for m, v in key_shares.items() if ref["keys"][m].sum() >= MIN_KEY_PIECES}
    command = (f"OMP_NUM_THREADS=1 .venv/bin/python scripts/calibrate_priors.py --genres {genre} --rounds {rounds} "
               f"--n {n} --rate {rate}" + (f" --weights {weights}" if weights else "") + (" --resume" if start else "")
               + (f" --kinds {','.join(only)}" if only else ""))
    return {
        **tables, "fitted": list(kinds), "keys": planner_keys, "groups": list(groups), "reference": {"collections": STYLES[GENRES[genre][0]]["collections"],
                                                        "pieces": n_ref, "split": "training (held_out False)"},
        "command": f"{start.get('command') or '(an earlier fit whose command was not recorded)'} && {command}" if start else command,
        "earlier_rounds": [*start.get("earlier_rounds", []), start["rounds"]] if start else [],
        "earlier_fit_seconds": _earlier_seconds(start),
        "prompt": GENRES[genre][2], "seconds": GENRES[genre][3], "calibration_seeds": [1000, 1000 + n - 1],
        "rounds": history, "rate": rate, "fit_seconds": round(time.perf_counter() - t0, 1),
        "register_cover": {g: round(c, 3) for g, c in covered.items()},
        "register_fitted": [g for g in groups if covered.get(g, 0.0) >= MIN_REGISTER_COVER],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from partita._fileio import atomic_write_text
    from partita.symbolic.composer.weights_info import shipped_path
    from partita.symbolic.composer.priors import KINDS

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--genres", default=",".join(GENRES))
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--n", type=int, default=24, help="calibration pieces per round (half of them in minor keys)")
    ap.add_argument("--rate", type=float, default=0.8, help="share of the log ratio each round moves")
    ap.add_argument("--weights", default=None, help="composer checkpoint (default: shipped)")
    ap.add_argument("--data-dir", default=str(ROOT / "data" / "composer"), help="the parsed corpus cache")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--jobs", type=int, default=1, help="genres fitted at once (one process each)")
    ap.add_argument("--resume", action="store_true",
                    help="go on from each genre's tables in --out (fitted to the same weights) instead of zero tables")
    ap.add_argument("--kinds", default=None,
                    help=f"comma-separated tables to fit, of {', '.join(KINDS)} (default: every one the genre fits; "
                         "named here, the note-length and rest tables are fitted where the model writes several parts too)")
    a = ap.parse_args(argv)
    only = tuple(a.kinds.split(",")) if a.kinds else None
    if only and set(only) - set(KINDS):
        raise SystemExit(f"--kinds: unknown {', '.join(sorted(set(only) - set(KINDS)))}; known: {', '.join(KINDS)}")
    weights = Path(a.weights or shipped_path())
    out_path = Path(a.out)
    existing = json.loads(out_path.read_text()) if out_path.exists() else {}
    genres_out = dict(existing.get("genres", {}))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    names = a.genres.split(",")
    for genre in names:
        if genre not in GENRES:
            raise SystemExit(f"unknown genre {genre!r}; known: {', '.join(GENRES)}")
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    if a.resume:
        if existing.get("weights_sha256") != sha:
            raise SystemExit(f"--resume: {out_path} was fitted to other weights; fit from zero tables")
        missing = [g for g in names if g not in genres_out]
        if missing:
            raise SystemExit(f"--resume: {out_path} has no fit of {', '.join(missing)}")
    jobs = [(g, a.rounds, a.n, a.rate, a.weights, a.data_dir, genres_out[g] if a.resume else None, only) for g in names]
    if a.jobs > 1:  # genres are independent and each is deterministic: the same tables either way
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(min(a.jobs, len(jobs))) as pool:
            fitted = pool.starmap(fit_genre, jobs)
    else:
        fitted = [fit_genre(*j) for j in jobs]
    genres_out.update(zip(names, fitted))
    out = {
        "source": "fitted by scripts/calibrate_priors.py: per genre, interval, scale-degree, register, duration and "
                  "rest biases that give the composed lines the histograms of the training split of the genre's music21 corpus collection",
        "command": "OMP_NUM_THREADS=1 .venv/bin/python scripts/calibrate_priors.py " + " ".join(argv or sys.argv[1:]),
        "commit": commit, "weights_sha256": sha,
        "genres": genres_out,
    }  # fmt: skip
    atomic_write_text(out_path, json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
