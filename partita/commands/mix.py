"""``partita mix OUTDIR [--target-lufs X]``: mix a render folder again from its stems."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mix",
        help="mix and master a render folder's stems again (mix.wav), without re-rendering them",
        description=(
            "Read OUTDIR/render.json and its stems (never writing them) and write OUTDIR/mix.wav at "
            "the loudness target, OUTDIR/mix.json (the settings used: edit it and run this again) "
            "and OUTDIR/project.rpp; re-sign OUTDIR/provenance.json."
        ),
    )
    p.add_argument("out", metavar="OUTDIR", help="a folder written by partita render or partita compose")
    p.add_argument("--target-lufs", type=float, default=None, metavar="X",
                   help="integrated loudness target in LUFS (default: mix.json's, else -14)")
    p.add_argument("--ceiling", type=float, default=None, metavar="DBTP",
                   help="true-peak ceiling in dBTP (default: mix.json's, else -1)")
    p.add_argument("--settings", default=None, metavar="MIX_JSON",
                   help="mix settings file (default: OUTDIR/mix.json if present)")
    p.add_argument("--key-dir", default=None, help="signing key folder (default: $PARTITA_KEY_DIR or ~/.config/partita/keys)")
    p.add_argument("--quiet", action="store_true", help="no summary")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from partita.pipeline import remix
    from partita.mixing import MixSettings, load_mix_settings

    settings = load_mix_settings(args.settings) if args.settings else None
    if args.ceiling is not None:
        from pathlib import Path

        if settings is None:
            path = Path(args.out) / "mix.json"
            settings = load_mix_settings(path) if path.exists() else MixSettings()
        settings = dataclasses.replace(settings, true_peak_ceiling_dbtp=args.ceiling)
    result = remix(args.out, settings=settings, target_lufs=args.target_lufs, key_dir=args.key_dir)
    if not args.quiet:
        print(result.summary(), file=sys.stderr)
        print(result.path)
    return 0 if result.report.meets_target else 1
