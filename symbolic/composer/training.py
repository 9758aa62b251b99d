"""The whole composer training job, as ``partita train-composer`` and :func:`partita.train_composer`
run it: build the corpus (parse, cache, tokenize), train (resumably; the loop is
:func:`partita.symbolic.composer.train.train`) and optionally export the weights.

>>> sorted(MODEL_PRESETS)
['small', 'tiny']
>>> corpus_cache_dir("music21:bach")
'data/composer'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from partita.errors import ConfigError

__all__ = ["MODEL_PRESETS", "ComposerTrainingResult", "corpus_cache_dir", "prepare_corpus", "train_composer"]

#: Model shapes by name (``--model``).
MODEL_PRESETS: dict[str, dict[str, Any]] = {
    "small": {"n_layer": 4, "n_head": 4, "n_embd": 192, "block_size": 512, "dropout": 0.1},
    "tiny": {"n_layer": 2, "n_head": 2, "n_embd": 32, "block_size": 128, "dropout": 0.0},
}

#: ``progress(stage, message)``: stages ``"corpus"``, ``"train"`` and ``"export"``.
Progress = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class ComposerTrainingResult:
    """What :func:`train_composer` did.

    Attributes
    ----------
    step, train_loss, heldout_loss, elapsed_s
        The run's last step, losses (nats per token; held-out None without held-out pieces) and
        training time over all resumed chunks (s).
    checkpoint, sha256
        The training checkpoint (with optimizer state; ``--resume`` continues it) and its sha256.
    corpus
        The corpus used: spec, pieces and tokens per split, collections, token folder.
    exported, exported_sha256
        The weights-only file written by ``export`` and its sha256 (None without ``export``).
    """

    step: int
    train_loss: float
    heldout_loss: float | None
    elapsed_s: float
    checkpoint: Path
    sha256: str
    corpus: Mapping[str, Any]
    exported: Path | None = None
    exported_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (paths as strings)."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(self).items()}


def _slug(spec: str, max_files: int | None) -> str:
    return hashlib.sha256(f"{spec}|{max_files}".encode()).hexdigest()[:10]


def corpus_cache_dir(spec: str) -> str:
    """The default corpus cache: ``data/composer`` for music21 collections, one
    ``data/composer-user-HASH`` per user folder (so two folders never mix)."""
    if spec.startswith("music21:"):
        return "data/composer"
    return f"data/composer-user-{_slug(str(Path(spec).resolve()), None)}"


#: Fewest training tokens a run starts on without ``allow_small`` (about 20 bars of four-part
#: music; the shipped composer's corpus has millions).
MIN_TRAIN_TOKENS = 2000


def prepare_corpus(spec: str, *, data_dir: str | os.PathLike[str], max_files: int | None = None, workers: int = 1,
                   progress: bool = False, cached_only: bool = False, scheduler: str | None = None,
                   command: str | None = None) -> tuple[Any, Any, dict[str, Any]]:  # fmt: skip
    """Parse and tokenize ``spec`` (cached in ``data_dir``).

    Parameters
    ----------
    spec
        ``music21:COLLECTIONS`` (``all`` = every allowed one) or a folder of MIDI/MusicXML.
    data_dir
        The cache folder (see :func:`corpus_cache_dir`).
    max_files
        Cap on files per collection.
    workers, scheduler
        Parallel processes, or a Dask scheduler ``tcp://HOST:PORT`` that parses instead.
    progress
        Show tqdm bars while parsing and tokenizing.
    cached_only
        Parse nothing: use the pieces of the spec's collections already cached.
    command
        The command recorded in the token folder's data card.

    Returns
    -------
    tuple
        (training :class:`~partita.symbolic.composer.corpus.TokenSet`, held-out TokenSet, info dict).
    """
    from partita._fileio import atomic_write_text
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
                                     workers=workers, scheduler=scheduler)  # fmt: skip
        stats["n_sources"] = n_sources
        stats["spec"] = spec
        stats["cached_only"] = cached_only
        atomic_write_text(stats_path, json.dumps(stats, indent=1))
        atomic_write_text(tokens_dir / "data_card.md",
                          corpus.data_card(stats, command=command or f"partita train-composer --corpus {spec}"))  # fmt: skip
    train_set = corpus.TokenSet.load(tokens_dir / "train.npz")
    held = corpus.TokenSet.load(tokens_dir / "heldout.npz")
    if len(train_set) == 0:
        raise ConfigError(
            f"no piece of {spec!r} could be used for training "
            f"({len(stats.get('skipped', []))} skipped, {len(stats.get('parse_errors', []))} did not parse)"
        )
    info = {"spec": spec, "train_pieces": len(train_set), "heldout_pieces": len(held),
            "train_tokens": int(len(train_set.ids)), "heldout_tokens": int(len(held.ids)),
            "collections": wanted, "tokens_dir": str(tokens_dir)}  # fmt: skip
    return train_set, held, info


def train_composer(
    corpus: str = "music21:all",
    *,
    out_dir: str | os.PathLike[str] = "data/composer/run",
    data_dir: str | os.PathLike[str] | None = None,
    model: str = "small",
    steps: int | None = None,
    minutes: float | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    ckpt_every: int | None = None,
    eval_every: int | None = None,
    seed: int = 0,
    init: str | os.PathLike[str] | None = None,
    resume: bool = False,
    device: str = "cpu",
    max_files: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    cached_only: bool = False,
    export: str | os.PathLike[str] | None = None,
    command: str | None = None,
    progress: Progress | None = None,
    bars: bool = False,
    allow_small: bool = False,
) -> ComposerTrainingResult:
    """Build the corpus and train (or fine-tune, or resume) the composer.

    Parameters
    ----------
    corpus
        ``music21:COLLECTIONS`` of the public-domain music21 corpus, or a folder of MIDI/MusicXML.
    out_dir
        The run folder: ``last.safetensors``, written every ``ckpt_every`` steps.
    data_dir
        Corpus cache (default :func:`corpus_cache_dir`).
    model
        A shape of :data:`MODEL_PRESETS` (ignored when resuming or with ``init``).
    steps, minutes
        Total optimizer steps of the run (default 4000); stop with a checkpoint after this
        many minutes.
    batch_size, lr, ckpt_every, eval_every
        Overrides of :class:`~partita.symbolic.composer.train.ComposerTrainConfig`.
    seed
        Seed of the initial weights and the window draws.
    init
        Start from these weights (a checkpoint path, or ``"shipped"``) to fine-tune.
    resume
        Continue ``out_dir/last.safetensors`` where it stopped.
    device
        ``"cpu"`` or ``"cuda"``.
    max_files, workers, scheduler, cached_only
        Corpus building (see :func:`prepare_corpus`).
    export
        After training, write the weights only (the file that ships) here.
    command
        The command recorded in the data card and the exported weights.
    progress
        ``progress(stage, message)`` hears the corpus size, the held-out losses, where the run
        stopped and the export.
    bars
        Show tqdm progress bars (parsing, tokenizing, training steps) on stderr.
    allow_small
        Train on a corpus of fewer than :data:`MIN_TRAIN_TOKENS` training tokens (a warning is
        said instead of the ConfigError that otherwise stops the run before any step).

    Returns
    -------
    ComposerTrainingResult
    """
    from partita.symbolic.composer.train import ComposerTrainConfig, export_weights, train

    if model not in MODEL_PRESETS:
        raise ConfigError(f"model {model!r} is not one of {', '.join(sorted(MODEL_PRESETS))}")
    say = progress or (lambda stage, message: None)
    cache = str(data_dir) if data_dir is not None else corpus_cache_dir(corpus)
    train_set, held, info = prepare_corpus(corpus, data_dir=cache, max_files=max_files, workers=workers, progress=bars,
                                           cached_only=cached_only, scheduler=scheduler, command=command)  # fmt: skip
    say("corpus", f"{info['train_pieces']} training pieces ({info['train_tokens']} tokens), "
                  f"{info['heldout_pieces']} held out ({info['heldout_tokens']} tokens)")  # fmt: skip
    if info["train_tokens"] < MIN_TRAIN_TOKENS:
        what = (f"{corpus} gives {info['train_tokens']} training tokens ({info['train_pieces']} pieces); fine-tuning "
                f"wants at least {MIN_TRAIN_TOKENS:,}, or the weights learn that handful of bars by heart")  # fmt: skip
        if not allow_small:
            raise ConfigError(what + ": add more music, or run again with --allow-small (allow_small=True) to "
                              "continue anyway")  # fmt: skip
        import warnings

        warnings.warn(what + "; continuing as asked (allow_small)", stacklevel=2)
        say("corpus", "warning: " + what + "; continuing as asked (--allow-small)")
    overrides: dict[str, Any] = {k: v for k, v in (("max_steps", steps), ("batch_size", batch_size), ("lr", lr),
                                 ("ckpt_every", ckpt_every), ("eval_every", eval_every)) if v is not None}  # fmt: skip
    if "lr" in overrides:
        overrides["min_lr"] = min(overrides["lr"], ComposerTrainConfig().min_lr)
    cfg = ComposerTrainConfig(model=MODEL_PRESETS[model], seed=seed, **overrides)
    if init is not None and str(init) == "shipped":
        from partita.symbolic.composer.weights_info import shipped_path

        init = str(shipped_path())
    r = train(cfg, train_set=train_set, heldout_set=held, out_dir=out_dir, resume=resume, init=init, minutes=minutes,
              device=device, progress=bars, log=lambda s: say("train", s), corpus_info=info)  # fmt: skip
    held_text = f"{r.heldout_loss:.3f}" if r.heldout_loss is not None else "-"
    say("train", f"stopped at step {r.step}: train {r.train_loss:.3f}, held-out {held_text} nats/token, "
                 f"{r.elapsed_s / 60:.1f} min; checkpoint {r.path}")  # fmt: skip
    exported = exported_sha = None
    if export is not None:
        exported = Path(export)
        exported_sha = export_weights(r.path, exported, extra={"command": command} if command else None)
        say("export", f"{exported} (sha256 {exported_sha})")
    return ComposerTrainingResult(step=r.step, train_loss=r.train_loss, heldout_loss=r.heldout_loss, elapsed_s=r.elapsed_s,
                                  checkpoint=Path(r.path), sha256=r.sha256, corpus=info, exported=exported,
                                  exported_sha256=exported_sha)  # fmt: skip
