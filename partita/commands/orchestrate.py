"""``partita orchestrate SCORE --for ENSEMBLE -o OUT [--assign PART=INST,...] [--fit]``: give a
score to an ensemble; write the new score, changes.json, check.json, the audio of both versions
and report.html (see :mod:`partita.classroom`).

Exit codes: 0 done, 2 bad input (an ensemble that cannot cover the score, a part that does not
exist, an unknown instrument or profile).
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "orchestrate",
        help="re-orchestrate a score for an ensemble; write the new score, the changes, the check, audio and report.html",
        description=(
            "Give the parts of a score to the instruments of an ensemble, highest part to highest "
            "instrument. ENSEMBLE is a preset (wind quintet, brass quintet, string quartet, sax "
            "quartet, woodwind quartet, clarinet quartet, vocal quartet) or instruments separated "
            "by commas. Example: partita orchestrate bwv66.6.mxl --for 'wind quintet' --fit -o out"
        ),
    )
    p.add_argument("file", help="a score: .musicxml .xml .mxl .mid .midi .mscx .mscz .abc .krn")
    p.add_argument("--for", dest="ensemble", required=True, metavar="ENSEMBLE",
                   help="a preset name or 'flute, oboe, clarinet, horn, bassoon'")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--assign", metavar="PART=INST,...", help="fix parts first, e.g. 'Soprano=flute,Bass=bassoon'")
    p.add_argument("--fit", action="store_true",
                   help="move parts by octaves to suit their instruments, then notes still out of range by octaves")
    p.add_argument("--profile", default="chorale", help="rule profile of the check: chorale (default), classical, pop, orchestration")
    p.add_argument("--no-audio", action="store_true", help="skip rendering (notation and rules only; much faster)")
    p.add_argument("--audio-files", action="store_true",
                   help="report.html plays the WAV files next to it instead of carrying the audio inside")
    p.add_argument("--sample-rate", type=int, default=22050, help="of the renders (default 22050 Hz)")
    p.add_argument("--seed", type=int, default=0, help="seed of the renders")
    p.add_argument("--max-pages", type=int, default=None, help="engrave at most this many pages per version (default 20)")
    p.add_argument("--no-mscz", action="store_true", help="do not write score.mscz even when MuseScore 3 is installed")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from partita.classroom import orchestrate

    result = orchestrate(
        args.file, args.ensemble, args.out, assign=args.assign, fit=args.fit, profile=args.profile,
        audio=not args.no_audio, embed_audio=not args.audio_files, sample_rate=args.sample_rate,
        seed=args.seed, mscz=False if args.no_mscz else None, max_pages=args.max_pages,
        progress=lambda msg: print(msg, file=sys.stderr),
    )  # fmt: skip
    print(result.summary())
    return 0
