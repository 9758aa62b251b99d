"""``partita profile DIR_OR_FILES... -o profile.json [--plot PNG]``: a style profile."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "profile",
        help="summary statistics of a set of scores (never the notes): pitch, rhythm, harmony, form",
        description=(
            "Profile score files and folders (MusicXML, MIDI, MuseScore, ABC, Humdrum): pitch-class and "
            "interval distributions, rhythm and inter-onset histograms, note density, range and tessitura "
            "per role, chord vocabulary and progressions, cadences, contour n-grams and form. The profile "
            "holds summary statistics per 8-bar segment, never the notes; compare it with partita similarity."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="DIR_OR_FILE", help="score files or folders (searched recursively)")
    p.add_argument("-o", "--out", required=True, metavar="PROFILE_JSON", help="where to write the profile")
    p.add_argument("--label", default=None, help="a name for the profile (default: the inputs)")
    p.add_argument("--plot", default=None, metavar="PNG", help="also draw the main distributions")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from partita.symbolic.composer.profile import profile_paths

    prof = profile_paths(args.inputs, label=args.label)
    prof.save(args.out)
    for s in prof.skipped:
        print(f"partita: profile: skipped {s}", file=sys.stderr)
    rows = sum(len(v) for v in prof.rows.values())
    print(f"profiled {prof.n_pieces} scores, {prof.n_notes} notes: {len([k for k, v in prof.rows.items() if v])} "
          f"features, {rows} rows -> {args.out}")
    if args.plot:
        from partita.symbolic.composer.profile_plot import plot_profiles

        plot_profiles([prof], args.plot)
        print(f"plot -> {args.plot}")
    return 0
