""""Trained on you", measured: fine-tune the shipped composer on a folder of music it never saw,
and measure how the similarity of its pieces to that folder's style profile moves, while the
originality check (against the training corpus and against the folder) stays clear.

The "user's folder": Aird's *Selection of Scotch, English, Irish and Foreign Airs* (Glasgow,
1778-1803; public domain), the ABC transcription by Jack Campin (2009) in music21's corpus
(``airdsAirs``, distributed with music21 with the encoder's permission; music21's
corpus/license.txt). It is not in ``corpus.toml`` and so not in the shipped composer's data
card. Books 1-5 (1,000 tunes, one ABC file per tune) are the folder the composer is fine-tuned
on and profiled; book 6 (180 tunes) is held back as unseen tunes of the same collection.
Every file it writes lives under ``data/trained_on_you/`` (git-ignored), the fine-tuned
weights included; only the results are committed.

Stages (each resumable; run in order; the committed results were made with these, under
``OMP_NUM_THREADS=1 nice -n 10``)::

    .venv/bin/python benchmarks/bench_trained_on_you.py --prepare                 # split the books into tunes
    .venv/bin/python benchmarks/bench_trained_on_you.py --compose before --n 30   # shipped weights
    .venv/bin/python benchmarks/bench_trained_on_you.py --train                   # partita train-composer --init shipped
    .venv/bin/python benchmarks/bench_trained_on_you.py --compose after --n 30    # the same plans and seeds, fine-tuned
    .venv/bin/python benchmarks/bench_trained_on_you.py --measure --n 30          # -> results/trained_on_you.{json,md}

Pieces: ``--n`` plans of ``--seconds`` seconds for one fiddle part (the folder is single
melodies), alternately a folk tune in G major (4/4) and a jig in D major (6/8), seed = index;
the same plans and seeds before and after. Similarity is
:func:`partita.symbolic.composer.similarity.similarity` (the calibrated score of
docs/originality.md): the set of pieces against the folder's profile, and each piece alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import ROOT, write_results  # noqa: E402

WORK = ROOT / "data" / "trained_on_you"
FOLDER = WORK / "folder"  # books 1-5: the user's folder
UNSEEN = WORK / "unseen"  # book 6: tunes of the same collection the fine-tune never saw
RUN = WORK / "run"
FINETUNED = WORK / "finetuned.safetensors"
PROMPTS = (("folk", "a folk tune", "G major"), ("jig", "a lively jig", "D major"))
FOLDER_BOOKS = (1, 2, 3, 4, 5)
UNSEEN_BOOKS = (6,)


def _airds_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus" / "airdsAirs"


def prepare() -> dict:
    """One ABC file per tune (the book's header comment, then the tune), so a folder reader
    sees 1,180 pieces, as a user's folder of tunes would be."""
    out = {}
    for books, folder in ((FOLDER_BOOKS, FOLDER), (UNSEEN_BOOKS, UNSEEN)):
        folder.mkdir(parents=True, exist_ok=True)
        n = 0
        for b in books:
            text = (_airds_dir() / f"book{b}.abc").read_text(encoding="utf-8")
            head, *tunes = re.split(r"(?m)^(?=X:)", text)
            for i, tune in enumerate(tunes):
                path = folder / f"book{b}_{i + 1:03d}.abc"
                if not path.exists():
                    path.write_text(head + tune.rstrip() + "\n", encoding="utf-8")
                n += 1
        out[folder.name] = n
    return out


def _plan(i: int, seconds: float):
    from partita.symbolic.composer.planner import PlanPart, plan

    genre, prompt, key = PROMPTS[i % len(PROMPTS)]
    p = plan(prompt, duration_s=seconds, key=key, seed=i)
    return genre, prompt, key, dataclasses.replace(p, instrumentation=(PlanPart("fdl", "Fiddle", "violin", "melody"),))


def compose_set(which: str, n: int, seconds: float) -> dict:
    from partita.symbolic.composer.sample import compose, load_model

    weights = None if which == "before" else FINETUNED
    if weights is not None and not weights.is_file():
        raise SystemExit(f"{weights} is missing: run --train first")
    model = load_model(str(weights) if weights else None)
    folder = WORK / which
    folder.mkdir(parents=True, exist_ok=True)
    times = {}
    for i in range(n):
        path = folder / f"{i:03d}.json"
        if path.exists():
            continue
        genre, prompt, key, p = _plan(i, seconds)
        t = time.perf_counter()
        s = compose(p, seed=i, model=model)
        times[path.name] = round(time.perf_counter() - t, 2)
        path.write_text(json.dumps({"genre": genre, "prompt": prompt, "key": key, "seed": i, "seconds": seconds,
                                    "score": s.to_dict()}))  # fmt: skip
        print(f"{which}: {path.name} ({genre}, {s.n_bars} bars) in {times[path.name]} s", file=sys.stderr)
    return times


def train_command(steps: int, minutes: float, lr: float, batch_size: int) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "partita"), "train-composer", "--corpus", str(FOLDER.relative_to(ROOT)),
            "--init", "shipped", "--steps", str(steps), "--minutes", str(minutes), "--lr", str(lr),
            "--batch-size", str(batch_size), "--threads", "1", "--workers", "1", "--eval-every", "50",
            "--ckpt-every", "50", "--out", str(RUN.relative_to(ROOT)), "--export", str(FINETUNED.relative_to(ROOT)),
            "--no-progress"]  # fmt: skip


def train(steps: int, minutes: float, lr: float, batch_size: int) -> dict:
    cmd = train_command(steps, minutes, lr, batch_size)
    t = time.perf_counter()
    cpu0 = os.times()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    cpu1 = os.times()
    (WORK / "train.log").write_text(proc.stderr + proc.stdout)
    if proc.returncode:
        raise SystemExit(f"train-composer failed ({proc.returncode}); see {WORK / 'train.log'}")
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    info = {"command": shlex.join(["partita", *cmd[1:]]), "wall_s": round(time.perf_counter() - t, 1),
            "cpu_s": round((cpu1.children_user + cpu1.children_system) - (cpu0.children_user + cpu0.children_system), 1),
            "result": lines[0] if lines else None, "export": lines[1] if len(lines) > 1 else None,
            "log_tail": proc.stderr.splitlines()[-30:]}  # fmt: skip
    (WORK / "train.json").write_text(json.dumps(info, indent=1))
    return info


def _pieces(which: str) -> list[dict]:
    from partita.symbolic.score import Score

    out = []
    for f in sorted((WORK / which).glob("*.json")):
        d = json.loads(f.read_text())
        d["score"] = Score.from_dict(d["score"])
        d["name"] = f.stem
        out.append(d)
    return out


def _profile(folder: Path):
    """The folder's profile, cached beside it (reading 1,000 tunes takes a minute)."""
    from partita.symbolic.composer.profile import load_profile, profile_paths

    cached = WORK / f"{folder.name}_profile.json"
    if cached.is_file():
        return load_profile(cached)
    prof = profile_paths([folder], label=f"Aird's airs, {folder.name}")
    prof.save(cached)
    return prof


def heldout_losses() -> dict:
    """Next-token loss (nats per REMI token) of the shipped and the fine-tuned weights on the
    held-out 10 % of the folder's tunes: the fixed windows ``train-composer`` evaluates on
    (so the fine-tuned figure repeats its last logged held-out loss)."""
    from partita.symbolic.composer.controls import ComposerVocab
    from partita.symbolic.composer.corpus import TokenSet
    from partita.symbolic.composer.decode import load_model
    from partita.symbolic.composer.train import ComposerTrainConfig, _Windows, evaluate_loss

    # train-composer's cache of this folder (data/composer-user-HASH of its absolute path)
    found = [p for p in sorted((ROOT / "data").glob("composer-user-*/tokens-*/stats.json"))
             if json.loads(p.read_text()).get("spec") == str(FOLDER.relative_to(ROOT))]  # fmt: skip
    if len(found) != 1:
        raise SystemExit(f"expected one token cache of {FOLDER}, found {len(found)}")
    tokens = found[0].parent / "heldout.npz"
    cfg = ComposerTrainConfig()
    batches = _Windows(TokenSet.load(tokens), ComposerVocab.default(), cfg.model["block_size"]).fixed(cfg.eval_windows)
    return {"heldout_pieces": len(TokenSet.load(tokens)), "windows": cfg.eval_windows,
            "before": round(evaluate_loss(load_model(None), batches), 4),
            "after": round(evaluate_loss(load_model(str(FINETUNED)), batches), 4)}  # fmt: skip


def measure() -> dict:
    from partita._fileio import sha256_file
    from partita.symbolic.composer.originality import check_originality, index_of_scores
    from partita.symbolic.composer.profile import profile_scores, read_scores
    from partita.symbolic.composer.similarity import similarity
    from partita.symbolic.composer.styles import reference_profile
    from partita.symbolic.composer.weights_info import shipped_path

    t0 = time.perf_counter()
    refs = {"folder": _profile(FOLDER), "unseen": _profile(UNSEEN), "fiddle-tunes": reference_profile("fiddle-tunes"),
            "bach-chorales": reference_profile("bach-chorales")}  # fmt: skip
    folder_scores, skipped = read_scores([FOLDER])
    folder_index = index_of_scores(folder_scores, info={"label": "user folder (Aird's books 1-5)"})
    profile_s = time.perf_counter() - t0
    # how much of the folder the training corpus already holds (traditional tunes travel)
    known = []
    for name, s in folder_scores:
        rep = check_originality(s, against=["corpus"])
        if rep.verdict == "flagged":
            known.append({"tune": Path(name).name, "longest": rep.matches[0].describe()})
    out: dict = {"folder": {"pieces": refs["folder"].n_pieces, "notes": refs["folder"].n_notes, "skipped": skipped,
                            "files": len(list(FOLDER.glob("*.abc"))),
                            "flagged_against_corpus": len(known), "flagged_examples": known[:10]},
                 "unseen": {"pieces": refs["unseen"].n_pieces}, "profile_and_index_s": round(profile_s, 1)}  # fmt: skip
    train_info = json.loads((WORK / "train.json").read_text()) if (WORK / "train.json").is_file() else None
    out["train"] = train_info
    if FINETUNED.is_file():
        out["heldout_loss"] = heldout_losses()
    out["weights"] = {"before": {"path": "shipped", "sha256": sha256_file(shipped_path())},
                      "after": {"path": str(FINETUNED.relative_to(ROOT)) + " (git-ignored)",
                                "sha256": sha256_file(FINETUNED) if FINETUNED.is_file() else None,
                                "exported_sha256": ((train_info or {}).get("export") or {}).get("sha256")}}  # fmt: skip
    for which in ("before", "after"):
        items = _pieces(which)
        if not items:
            continue
        scores = [d["score"] for d in items]
        prof = profile_scores(scores, label=which)
        sets = {k: similarity(prof, r) for k, r in refs.items()}
        rows = []
        for d in items:
            s = d["score"]
            per = {k: round(similarity(s, r).score, 4) for k, r in refs.items() if k in ("folder", "unseen")}
            rep = check_originality(s, against=["corpus", folder_index])
            lm = rep.longest_melody
            by = {}
            for m in rep.matches:
                if m.kind == "melody":
                    by[m.against] = max(by.get(m.against, 0), m.length)
            rows.append({"piece": d["name"], "genre": d["genre"], "seed": d["seed"], "bars": s.n_bars,
                         "notes": sum(len(p.notes) for p in s.parts), "similarity": per, "verdict": rep.verdict,
                         "longest_melody_notes": lm.length if lm else 0, "longest_melody": lm.describe() if lm else None,
                         "longest_melody_by_index": by,
                         "longest_harmony_chords": rep.longest_harmony.length if rep.longest_harmony else 0,
                         "flagged": [m.describe() for m in rep.flagged]})  # fmt: skip
        out[which] = {"n": len(items), "set_similarity": {k: round(v.score, 4) for k, v in sets.items()},
                      "set_features_vs_folder": {k: round(v, 4) for k, v in sets["folder"].features.items()},
                      "piece_similarity_vs_folder": _stats([r["similarity"]["folder"] for r in rows]),
                      "piece_similarity_vs_unseen": _stats([r["similarity"]["unseen"] for r in rows]),
                      "n_flagged": sum(r["verdict"] == "flagged" for r in rows),
                      "longest_melody_notes": _stats([r["longest_melody_notes"] for r in rows]),
                      "pieces": rows}  # fmt: skip
    if "before" in out and "after" in out:
        out["paired"] = _paired(out["before"]["pieces"], out["after"]["pieces"])
    return out


def _paired(before: list[dict], after: list[dict]) -> dict:
    """Per piece (same plan and seed), after minus before: the mean change of the similarity
    to the folder and to the unseen book, how many rose, and a 95 % bootstrap interval of the
    mean change (2,000 draws over the pieces, seed 0)."""
    a = {r["piece"]: r for r in after}
    out = {}
    for ref in ("folder", "unseen"):
        d = np.array([a[r["piece"]]["similarity"][ref] - r["similarity"][ref] for r in before if r["piece"] in a])
        rng = np.random.default_rng(0)
        boot = np.array([d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)])
        out[ref] = {"n": len(d), "mean_change": round(float(d.mean()), 4), "rose": int((d > 0).sum()),
                    "ci95": [round(float(np.percentile(boot, 2.5)), 4), round(float(np.percentile(boot, 97.5)), 4)]}  # fmt: skip
    return out


def _stats(x: list[float]) -> dict:
    a = np.asarray(x, dtype=float)
    return {"mean": round(float(a.mean()), 4), "sd": round(float(a.std()), 4), "min": round(float(a.min()), 4),
            "median": round(float(np.median(a)), 4), "max": round(float(a.max()), 4)}  # fmt: skip


def markdown(res: dict) -> list[str]:
    tr = res.get("train") or {}
    r = tr.get("result") or {}
    w = res["weights"]
    lines = [f"User's folder: Aird's airs books 1-5 (`data/trained_on_you/folder`, {res['folder']['files']} ABC files, "
             f"{res['folder']['pieces']} profiled, {res['folder']['notes']} notes); unseen: book 6 "
             f"({res['unseen']['pieces']} tunes). Public domain (1778-1803), Jack Campin's ABC transcription in "
             "music21's corpus; not in the shipped composer's data card.", "",
             f"Fine-tune: `{tr.get('command', '-')}`  ",
             f"{r.get('step', '-')} steps, {tr.get('wall_s', '-')} s wall, {tr.get('cpu_s', '-')} s CPU; last train loss "
             f"{r.get('train_loss', float('nan')):.3f}, held-out loss (10 % of the folder's tunes) "
             f"{(r.get('heldout_loss') or float('nan')):.3f}.", "",
             *([f"Held-out loss on the folder's held-out tunes ({res['heldout_loss']['heldout_pieces']} pieces, "
                f"{res['heldout_loss']['windows']} fixed windows, nats per REMI token): shipped "
                f"{res['heldout_loss']['before']:.3f}, fine-tuned {res['heldout_loss']['after']:.3f}.", ""]
               if "heldout_loss" in res else []),
             f"Weights: before = shipped `{w['before']['sha256']}`; after = `{w['after']['path']}` "
             f"`{w['after']['sha256']}`"
             + (f" (exported by train-composer as `{w['after']['exported_sha256']}` in the checkpoint format of its "
                "day, then rewritten in the current one by scripts/convert_checkpoint.py: the same arrays, bit for bit)"
                if w["after"].get("exported_sha256") not in (None, w["after"]["sha256"]) else "") + ".", "",
             "## Similarity (0..1, docs/originality.md's calibrated score)", "",
             "| weights | pieces | set vs folder | set vs unseen book 6 | set vs fiddle-tunes profile | "
             "set vs bach-chorales profile | piece vs folder (mean +- sd) | piece vs unseen (mean) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]  # fmt: skip
    for which in ("before", "after"):
        if which not in res:
            continue
        x = res[which]
        s = x["set_similarity"]
        lines.append(f"| {which} | {x['n']} | {s['folder']:.3f} | {s['unseen']:.3f} | {s['fiddle-tunes']:.3f} | "
                     f"{s['bach-chorales']:.3f} | {x['piece_similarity_vs_folder']['mean']:.3f} +- "
                     f"{x['piece_similarity_vs_folder']['sd']:.3f} | {x['piece_similarity_vs_unseen']['mean']:.3f} |")
    if "paired" in res:
        lines += ["", "Paired by piece (same plan and seed), after minus before: "
                  + "; ".join(f"vs {k}: mean {v['mean_change']:+.3f} (95 % bootstrap interval {v['ci95'][0]:+.3f} to "
                              f"{v['ci95'][1]:+.3f}), {v['rose']} of {v['n']} pieces rose" for k, v in res["paired"].items())
                  + "."]  # fmt: skip
    if "before" in res and "after" in res:
        feats = sorted(res["before"]["set_features_vs_folder"])
        lines += ["", "Per feature, set vs folder:", "", "| feature | before | after |", "| --- | ---: | ---: |"]
        lines += [f"| {k} | {res['before']['set_features_vs_folder'][k]:.3f} | "
                  f"{res['after']['set_features_vs_folder'].get(k, float('nan')):.3f} |" for k in feats]
    lines += ["", "## Originality (against the training corpus index and the folder)", "",
              f"The folder itself: {res['folder']['flagged_against_corpus']} of its {res['folder']['pieces']} tunes share a "
              "flagged passage with the training corpus (traditional tunes that O'Neill's or Ryan's also print).", "",
              "| weights | pieces flagged | longest shared melody (notes) median / max |", "| --- | ---: | --- |"]  # fmt: skip
    for which in ("before", "after"):
        if which in res:
            x = res[which]
            lines.append(f"| {which} | {x['n_flagged']} of {x['n']} | {x['longest_melody_notes']['median']:g} / "
                         f"{x['longest_melody_notes']['max']:g} |")
    lines += ["", "## Every piece", "", "| weights | piece | genre | bars | notes | sim. folder | sim. unseen | "
              "longest melody | verdict |", "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]  # fmt: skip
    for which in ("before", "after"):
        for p in res.get(which, {}).get("pieces", []):
            lines.append(f"| {which} | {p['piece']} | {p['genre']} | {p['bars']} | {p['notes']} | "
                         f"{p['similarity']['folder']:.3f} | {p['similarity']['unseen']:.3f} | "
                         f"{p['longest_melody'] or '-'} | {p['verdict']} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prepare", action="store_true")
    ap.add_argument("--compose", choices=("before", "after"))
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--measure", action="store_true")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--minutes", type=float, default=22.0)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--batch-size", type=int, default=6)
    a = ap.parse_args(argv)
    if a.prepare:
        print(json.dumps(prepare()))
    if a.compose:
        print(json.dumps(compose_set(a.compose, a.n, a.seconds)))
    if a.train:
        print(json.dumps(train(a.steps, a.minutes, a.lr, a.batch_size), indent=1))
    if a.measure:
        res = measure()
        res["settings"] = {"n": a.n, "seconds": a.seconds, "prompts": PROMPTS}
        js, md = write_results("trained_on_you", res, markdown(res),
                               title="Trained on you: similarity to the user's folder before and after fine-tuning")  # fmt: skip
        print(md.read_text()[:4000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
