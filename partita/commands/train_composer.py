"""``partita train-composer``: build the corpus (parse, cache, tokenize) and train the composer,
resumably.

    partita train-composer --corpus music21:bach,haydn --minutes 30
    partita train-composer --corpus ~/my_midi --init shipped --steps 500   # trained on you
    partita train-composer --resume            # continue the last run where it stopped
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-composer",
        help="train (or fine-tune) the composer on music21 collections or your own folder",
        description=(
            "Parse a corpus (music21:COLLECTIONS of the public-domain music21 corpus, or a folder of "
            "MIDI/MusicXML), cache and tokenize it, and train the composer. Checkpoints are written "
            "every few steps; --resume continues a run that was cut off."
        ),
    )
    p.add_argument("--corpus", default="music21:all",
                   help="music21:bach,palestrina,... (see corpus.toml; 'all' = every allowed one) or a folder")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.safetensors")
    p.add_argument("--out", default="data/composer/run", help="run folder (checkpoints), default data/composer/run")
    p.add_argument("--data-dir", default=None,
                   help="corpus cache folder (default data/composer for music21 collections, "
                        "data/composer-user-HASH for a folder; git-ignored)")
    p.add_argument("--minutes", type=float, default=None, help="stop (with a checkpoint) after this many minutes")
    p.add_argument("--steps", type=int, default=None, help="total optimizer steps of the run (default 4000)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--model", choices=("small", "tiny"), default="small", help="model size preset")
    p.add_argument("--init", default=None,
                   help="start from these weights (a .safetensors path, or 'shipped') to fine-tune")
    p.add_argument("--max-files", type=int, default=None, help="cap on files per collection")
    p.add_argument("--workers", type=int, default=1, help="parallel processes for parsing and tokenizing")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="parse and tokenize on this Dask scheduler's workers instead (see docs/batch.md)")
    p.add_argument("--cached-only", action="store_true",
                   help="parse nothing: train on the pieces of these collections already in the cache")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-every", type=int, default=None)
    p.add_argument("--eval-every", type=int, default=None)
    p.add_argument("--export", default=None, help="after training, write weights-only safetensors here")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--allow-small", action="store_true",
                   help="train even when the corpus gives fewer than 2,000 training tokens (with a warning)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from partita import train_composer

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    command = "partita train-composer " + " ".join(shlex.quote(a) for a in sys.argv[sys.argv.index("train-composer") + 1 :]) \
        if "train-composer" in sys.argv else None  # fmt: skip
    r = train_composer(
        args.corpus, out_dir=args.out, data_dir=args.data_dir, model=args.model, steps=args.steps, minutes=args.minutes,
        batch_size=args.batch_size, lr=args.lr, ckpt_every=args.ckpt_every, eval_every=args.eval_every, seed=args.seed,
        init=args.init, resume=args.resume, device=args.device, max_files=args.max_files, workers=args.workers,
        scheduler=args.scheduler, cached_only=args.cached_only, export=args.export, command=command,
        progress=lambda stage, message: print(f"{stage}: {message}", file=sys.stderr), bars=not args.no_progress,
        allow_small=args.allow_small,
    )  # fmt: skip
    print(json.dumps({"step": r.step, "train_loss": r.train_loss, "heldout_loss": r.heldout_loss,
                      "elapsed_s": round(r.elapsed_s, 1), "checkpoint": str(r.checkpoint), "sha256": r.sha256}))  # fmt: skip
    if r.exported is not None:
        print(json.dumps({"exported": str(r.exported), "sha256": r.exported_sha256}))
    return 0
