"""``partita render SCORE -o OUTDIR [--sample-rate HZ] [--seed N]``: one WAV stem per part."""

from __future__ import annotations

import argparse
import sys


from partita.commands._reading import add_read_options, read_score

def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="perform a score into one audio stem per part (WAV) plus render.json",
        description=(
            "Perform a score (any format partita reads) into OUTDIR/stems/NN_<part>.wav, one "
            "mono WAV per part (stereo for a drum kit), all starting at 0 and equally long, and OUTDIR/render.json. "
            "Parts whose content did not change since the last render into OUTDIR come from "
            "the cache in OUTDIR/.cache."
        ),
    )
    p.add_argument("score", help="a score: .musicxml .xml .mxl .mid .midi .mscx .mscz .abc .krn")
    p.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder")
    p.add_argument("--sample-rate", type=int, default=48000, metavar="HZ", help="8000-192000 (default 48000)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every random stream (default 0)")
    p.add_argument("--humanize", type=float, default=0.0, metavar="X",
                   help="0: exact timing (default); 1: natural micro-timing and velocity, drawn from the seed")
    p.add_argument("--room", type=float, default=None, metavar="RT60_S",
                   help="add a synthetic room with this reverberation time in seconds (default: dry)")
    p.add_argument("--pcm24", action="store_true", help="write 24-bit PCM instead of 32-bit float")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="render the parts in N jobs: processes on Linux, else threads (default: one per CPU core this process may use); the stems are the same whatever N")
    p.add_argument("--no-repeats", action="store_true",
                   help="play each written bar once (default: repeats, voltas and D.C./D.S. as MuseScore plays them)")
    p.add_argument("--neutral-vowel", choices=("ah", "oo"), default="ah",
                   help="what a voice part without lyrics sings (default ah)")
    p.add_argument("--language", default="en", metavar="LANG",
                   help="the lyrics' language: en (CMU dictionary, default) or an espeak-ng voice (de, it, la, fr ...)")
    p.add_argument("--lyrics", default=None, metavar="FILE",
                   help="a UTF-8 text laid under the first voice part (or --lyrics-part), one syllable per note")
    p.add_argument("--lyrics-part", default=None, metavar="PART", help="part id or name that --lyrics goes to")
    p.add_argument("--drums", choices=("sampled", "designed"), default="sampled",
                   help="percussion from one-shot samples (default) or the synthesized kit")
    p.add_argument("--drum-kit", default=None, metavar="PATH",
                   help="a drum kit folder (kit.toml and samples) or an .sf2/.sf3 soundfont to make one from "
                        "(default: MuseScore_General, else FluidR3_GM)")
    p.add_argument("--drum-stems", action="store_true",
                   help="write a drum part as kick, snare, hats, toms and cymbals stems (plus percussion when played)")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.add_argument("--instrument-weights", action="append", default=[], metavar="[INSTRUMENT=]PATH",
                   help="render parts of the weights' instrument (or INSTRUMENT) with this trained decoder (repeatable)")
    add_read_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import warnings

    from partita.render.settings import RenderSettings, RenderWarning
    from partita.render.stems import render

    settings = RenderSettings(
        sample_rate=args.sample_rate, seed=args.seed, humanize=args.humanize,
        room_rt60_s=args.room, subtype="pcm24" if args.pcm24 else "float", verse=args.verse or 1,
        neutral_vowel=args.neutral_vowel, language=args.language, drums=args.drums, drum_kit=args.drum_kit,
        drum_stems=args.drum_stems,
    )  # fmt: skip
    score = read_score(args.score, args)
    said: list[str] = []
    if args.lyrics:
        from partita.symbolic.underlay import lyrics_onto_score

        score, said = lyrics_onto_score(score, args.lyrics, part=args.lyrics_part, verse=args.verse or 1)
    from partita.render.neural_infer import decoders_for_score

    decoders = decoders_for_score(score, args.instrument_weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RenderWarning)
        result = render(score, args.out, settings=settings, workers=args.jobs, decoders=decoders, progress=None if not args.quiet else False,
                        repeats=not args.no_repeats)
    for w in caught:
        if issubclass(w.category, RenderWarning):
            print(f"partita: warning: {w.message}", file=sys.stderr)
    if not args.quiet:
        from partita.commands.info import print_drops

        for line in said:
            print(f"partita: {line}", file=sys.stderr)
        print(result.summary(), file=sys.stderr)
        print_drops(score, file=sys.stderr)
        for s in result.stems:
            print(f"{result.out_dir / s.file}")
    return 0
