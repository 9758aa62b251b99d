"""``partita batch render SOURCES -o OUT`` and ``partita batch compose SPEC -o OUT``: many
scores or prompts into a dataset of aligned stems, mixes, MIDI, MusicXML and a manifest, on
Dask (a LocalCluster by default, or ``--scheduler tcp://HOST:PORT``). See docs/batch.md."""

from __future__ import annotations

import argparse
import sys


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--out", required=True, metavar="OUT", help="dataset folder (running again into it resumes)")
    p.add_argument("--sample-rate", type=int, default=48000, metavar="HZ", help="8000-192000 (default 48000)")
    p.add_argument("--target-lufs", type=float, default=None, metavar="X", help="mix loudness target (default -14)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on this Dask scheduler (workers started with `dask worker`); default: a local cluster")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local cluster worker processes (default: one per core)")
    p.add_argument("--key-dir", default=None, help="signing key folder (default: $PARTITA_KEY_DIR or ~/.config/partita/keys)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="render or compose many items into a dataset, on Dask",
                       description=__doc__.split("\n\n", 1)[0])  # fmt: skip
    bsub = p.add_subparsers(dest="batch_command", metavar="{render,compose}", required=True)
    r = bsub.add_parser("render", help="render score files into a dataset",
                        description="Render every score of SOURCES (folders, globs, list files of paths, or files; "
                                    "any format partita reads) into OUT/items/<id>/ and list them in OUT/manifest.jsonl. "
                                    "Exit status 1 when an item failed (its error is in the manifest).")  # fmt: skip
    r.add_argument("sources", nargs="+", metavar="SOURCES")
    _common(r)
    r.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every render stream (default 0)")
    r.add_argument("--humanize", type=float, default=0.0, metavar="X", help="0: exact timing (default); 1: natural")
    r.add_argument("--split-seconds", type=float, default=600.0, metavar="S",
                   help="render each part of a score longer than S seconds as a task of its own (default 600)")
    r.set_defaults(run=run)
    c = bsub.add_parser("compose", help="compose a table of prompts and render them into a dataset",
                        description="Compose every row of SPEC (CSV with a header, or TOML [[item]] tables; columns "
                                    "id, prompt, seed, ensemble, seconds, key, tempo, meter) and render it into "
                                    "OUT/items/<id>/, listed in OUT/manifest.jsonl.")  # fmt: skip
    c.add_argument("spec", metavar="SPEC")
    _common(c)
    c.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from partita.batch import compose_batch, render_batch

    bar = None

    def on_start(engine) -> None:
        where = engine.scheduler or f"a local cluster of {engine.n_workers} worker processes"
        dash = engine.dashboard_link
        print(f"partita: batch on {where}" + (f"; Dask dashboard: {dash}" if dash else ""), file=sys.stderr)

    def progress(p) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            bar = tqdm(total=p.total, desc=f"batch {args.batch_command}", unit="item", file=sys.stderr)
        bar.n = p.finished
        left = "?" if p.eta_s is None else f"{p.eta_s:.0f}s"
        bar.set_postfix_str(f"failed {p.failed}, reused {p.skipped}, left {left}")

    common = dict(sample_rate=args.sample_rate, target_lufs=args.target_lufs, scheduler=args.scheduler,
                  workers=args.workers, key_dir=args.key_dir, progress=progress, on_start=on_start)  # fmt: skip
    try:
        if args.batch_command == "render":
            result = render_batch(args.sources, args.out, seed=args.seed, humanize=args.humanize,
                                  split_s=args.split_seconds, **common)  # fmt: skip
        else:
            result = compose_batch(args.spec, args.out, **common)
    finally:
        if bar is not None:
            bar.close()
    print(result.summary(), file=sys.stderr)
    for row in result.rows:
        if row["status"] == "failed":
            err = row["error"] or ""
            print(f"partita: failed: {err if err.startswith(row['source']) else row['source'] + ': ' + err}", file=sys.stderr)
    return 1 if result.count("failed") else 0
