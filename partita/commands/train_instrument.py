"""``partita train-instrument SOURCE [SOURCE ...] --name NAME``: train a neural instrument decoder.

SOURCE is a soundfont (``.sf2``/``.sf3``; the GM program from ``--program`` or from the catalog
instrument ``NAME``) or a folder of your own monophonic recordings (wav, flac, ogg, aiff; any
sample rate; mono or stereo). Several SOURCEs, in any mix, train one decoder: the soundfonts
share ``--data-minutes`` evenly and all render the same ``--program``/``--bank``, each folder
gives all its recordings, every source keeps its own held-out notes, and the model card lists
each source with its licence. Writes ``OUT/NAME.safetensors``, its model card ``OUT/NAME.md``
and ``OUT/manifest.json`` (name -> file, sha256); the analysed data and the resumable checkpoint
live in ``--work`` (default ``data/neural/NAME``). f0 is measured by CREPE (``--f0``).

Struck and plucked instruments (piano, guitars, basses, harp, banjo, mandolin, ukulele) trained
from one soundfont get a string model instead (``--model auto``): partials with a stiff-string
stretch and learned decays, fitted to the soundfont's notes in a minute or so
(``docs/neural_renderers.md``).
"""

from __future__ import annotations

import argparse
import shlex
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-instrument",
        help="train a neural instrument renderer from soundfonts and/or folders of recordings",
        description=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("source", metavar="SOURCE", nargs="+",
                   help="a .sf2/.sf3 soundfont or a folder of monophonic recordings; several, in any mix, train one decoder")
    p.add_argument("--name", required=True, help="instrument name (a catalog id such as violin picks its GM program and range)")
    p.add_argument("--program", type=int, default=None, metavar="N", help="GM program 0-127 (soundfonts only; every soundfont renders it)")
    p.add_argument("--bank", type=int, default=0, metavar="N",
                   help="soundfont bank of the program, for every soundfont (default 0, General MIDI; MuseScore_General's violin, viola, cello "
                        "and bass sections' pizzicato: program 45 of banks 20, 30, 40, 50)")
    p.add_argument("--technique", choices=("pizzicato",), default=None,
                   help="train the model of a playing technique: pizzicato fits a plucked string model NAME_pizzicato, "
                        "which plays the notes a bowed part marks pizz.")
    p.add_argument("--tremolo", action="store_true",
                   help="bowed strings from a soundfont: a third of the rendered phrases are tremolo (re-struck "
                        "thirty-second notes, as a score's tremolo mark is played)")
    p.add_argument("--minutes", type=float, default=10.0, metavar="M", help="training time in minutes (default 10)")
    p.add_argument("--patience", type=int, default=None, metavar="N",
                   help="train while the held-out loss improves: a stage ends after N validations (20 s apart, or "
                        "--validate-every steps) without a new best, and the best weights are kept (default: the "
                        "whole budget, the last weights); with --minutes 30, as long as quality improves within 30 minutes")
    p.add_argument("--validate-every", type=int, default=None, metavar="N",
                   help="validate every N training steps rather than every 20 seconds: with --patience, a run that "
                        "ends by its plateaus gives the same weights on any machine (neural decoders)")
    p.add_argument("--upper-weight", type=float, default=0.0, metavar="W",
                   help="in the spectral stage (which compares 16 kHz audio), weight W on the regression loss of the "
                        "harmonics' share and the noise above 8 kHz, in training and in the held-out measure (default 0)")
    p.add_argument("--data-minutes", type=float, default=4.0, metavar="M",
                   help="soundfont audio to render, minutes (default 4), split evenly between the soundfont SOURCEs")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where to train (default cpu); cuda needs a CUDA build of torch and a GPU")
    p.add_argument("--f0", choices=("crepe", "crepe-full", "yin"), default="crepe",
                   help="f0 estimator for the training audio: CREPE tiny (default), the full CREPE model (slow on a CPU), or YIN")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in the work folder (refused when its data came from other SOURCEs)")
    p.add_argument("--out", default="out/instruments", metavar="DIR", help="where the weights and card go (default out/instruments)")
    p.add_argument("--work", default=None, metavar="DIR", help="data cache and checkpoint (default data/neural/NAME)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="analyse the training audio (f0, loudness) on this Dask scheduler's workers (see docs/batch.md)")
    p.add_argument("--model", choices=("auto", "decoder", "piano", "plucked", "bars"), default="auto",
                   help="auto (default): a string model for struck and plucked catalog instruments from a soundfont, "
                        "else the neural decoder; or choose")
    p.add_argument("--channels", type=int, default=None, metavar="C",
                   help="the neural decoder's width (default 32; the decoders shipped before session 10 had 64)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from partita import train_instrument

    command = "partita train-instrument " + " ".join(shlex.quote(a) for a in sys.argv[sys.argv.index("train-instrument") + 1 :]) \
        if "train-instrument" in sys.argv else None  # fmt: skip
    result = train_instrument(
        args.source, args.name, program=args.program, minutes=args.minutes, data_minutes=args.data_minutes,
        device=args.device, resume=args.resume, out_dir=args.out, work_dir=args.work, seed=args.seed,
        threads=args.threads, command=command, f0_method=args.f0, scheduler=args.scheduler,
        progress=None if args.quiet else (lambda stage, message: print(f"{stage}: {message}", file=sys.stderr)),
        bars=not args.quiet, model=args.model, bank=args.bank, technique=args.technique,
        channels=args.channels, patience=args.patience, tremolo=args.tremolo,
        upper_weight=args.upper_weight, validate_every=args.validate_every,
    )  # fmt: skip
    print(result.weights)
    return 0
