"""``partita train-composer``: build the corpus (parse, cache, tokenize) and train the composer,
resumably.

    partita train-composer --corpus music21:bach,haydn --minutes 30
    partita train-composer --corpus ~/my_midi --init shipped --steps 500   # trained on you
    partita train-composer --resume            # continue the last run where it stopped
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

PRESETS = {
    "small": {"n_layer": 4, "n_head": 4, "n_embd": 192, "block_size": 512, "dropout": 0.1},
    "tiny": {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 128, "dropout": 0.0},
}


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
    p.add_argument("--model", choices=sorted(PRESETS), default="small", help="model size preset")
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
    p.set_defaults(run=run)


def _slug(spec: str, max_files: int | None) -> str:
    return hashlib.sha256(f"{spec}|{max_files}".encode()).hexdigest()[:10]


def prepare_corpus(spec: str, *, data_dir: str, max_files: int | None, workers: int, progress: bool,
                   cached_only: bool = False, scheduler: str | None = None):  # fmt: skip
    """Parse and tokenize ``spec`` (cached); returns (train set, held-out set, info dict).
    ``cached_only``: parse nothing, use the pieces of the spec's collections already cached."""
    from partita.symbolic.composer import corpus

    srcs = corpus.spec_sources(spec, max_files=max_files)
    wanted = sorted({s.collection for s in srcs})
    if cached_only:
        n_sources = sum(len(list((Path(data_dir) / "scores" / c).glob("*.json.gz"))) for c in wanted)
    else:
        corpus.parse_corpus(srcs, data_dir=data_dir, workers=workers, progress=progress, scheduler=scheduler)
        n_sources = len(srcs)
    tokens_dir = Path(data_dir) / f"tokens-{_slug(spec, max_files)}{'-cached' if cached_only else ''}"
    stats_path = tokens_dir / "stats.json"
    if stats_path.exists() and json.loads(stats_path.read_text()).get("n_sources") == n_sources:
        stats = json.loads(stats_path.read_text())
    else:
        # a user folder keeps its own cache: only its pieces
        stats = corpus.build_tokens(data_dir, collections_=wanted, tokens_dir=tokens_dir, progress=progress,
                                     workers=workers, scheduler=scheduler)
        stats["n_sources"] = n_sources
        stats["spec"] = spec
        stats["cached_only"] = cached_only
        from partita._fileio import atomic_write_text

        atomic_write_text(stats_path, json.dumps(stats, indent=1))
        atomic_write_text(tokens_dir / "data_card.md", corpus.data_card(stats, command=" ".join(sys.argv)))
    train_set = corpus.TokenSet.load(tokens_dir / "train.npz")
    held = corpus.TokenSet.load(tokens_dir / "heldout.npz")
    if len(train_set) == 0:
        from partita.errors import ConfigError

        raise ConfigError(
            f"no piece of {spec!r} could be used for training "
            f"({len(stats.get('skipped', []))} skipped, {len(stats.get('parse_errors', []))} did not parse)"
        )
    info = {"spec": spec, "train_pieces": len(train_set), "heldout_pieces": len(held),
            "train_tokens": int(len(train_set.ids)), "heldout_tokens": int(len(held.ids)),
            "collections": wanted, "tokens_dir": str(tokens_dir)}  # fmt: skip
    return train_set, held, info


def run(args: argparse.Namespace) -> int:
    import torch

    from partita.symbolic.composer.train import ComposerTrainConfig, export_weights, summary_json, train

    if args.threads:
        torch.set_num_threads(args.threads)
    progress = not args.no_progress
    data_dir = args.data_dir
    if data_dir is None:  # one cache per user folder, so two folders never mix
        data_dir = "data/composer" if args.corpus.startswith("music21:") else (
            f"data/composer-user-{_slug(str(Path(args.corpus).resolve()), None)}")
    train_set, held, info = prepare_corpus(
        args.corpus, data_dir=data_dir, max_files=args.max_files, workers=args.workers, progress=progress,
        cached_only=args.cached_only, scheduler=args.scheduler,
    )
    print(f"corpus: {info['train_pieces']} training pieces ({info['train_tokens']} tokens), "
          f"{info['heldout_pieces']} held out ({info['heldout_tokens']} tokens)", file=sys.stderr)  # fmt: skip
    overrides = {}
    for name, key in (("steps", "max_steps"), ("batch_size", "batch_size"), ("lr", "lr"),
                      ("ckpt_every", "ckpt_every"), ("eval_every", "eval_every")):  # fmt: skip
        v = getattr(args, name)
        if v is not None:
            overrides[key] = v
    if "lr" in overrides:
        overrides["min_lr"] = min(overrides["lr"], ComposerTrainConfig().min_lr)
    cfg = ComposerTrainConfig(model=PRESETS[args.model], seed=args.seed, **overrides)
    init = args.init
    if init == "shipped":
        from partita.symbolic.composer.weights_info import shipped_path

        init = str(shipped_path())
    result = train(
        cfg, train_set=train_set, heldout_set=held, out_dir=args.out, resume=args.resume, init=init,
        minutes=args.minutes, device=args.device, progress=progress,
        log=lambda s: print(s, file=sys.stderr), corpus_info=info,
    )  # fmt: skip
    print(summary_json(result))
    if args.export:
        digest = export_weights(result.path, args.export)
        print(json.dumps({"exported": args.export, "sha256": digest}))
    return 0
