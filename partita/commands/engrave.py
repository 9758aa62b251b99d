"""``partita engrave SCORE -o score.svg [--page-width MM] [--page-height MM] [--scale PCT]
[--max-pages N]``: engraved notation as SVG through verovio, without MuseScore.

One page is written to the path given; several pages to ``score-1.svg``, ``score-2.svg``...
A score longer than ``--max-pages`` engraves its first pages and says so.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "engrave",
        help="engrave a score as SVG notation (verovio), with bar numbers",
        description="Engrave a score in any format partita reads as SVG pages (verovio).",
    )
    p.add_argument("file", help="a score: .musicxml .xml .mxl .mid .midi .mscx .mscz .abc .krn")
    p.add_argument("-o", "--out", required=True, help="the SVG file (several pages: NAME-1.svg, NAME-2.svg...)")
    p.add_argument("--page-width", type=float, default=210.0, metavar="MM", help="page width in mm (default 210, A4)")
    p.add_argument("--page-height", type=float, default=297.0, metavar="MM", help="page height in mm (default 297, A4)")
    p.add_argument("--scale", type=int, default=40, metavar="PCT", help="size of the music in percent (default 40)")
    p.add_argument("--max-pages", type=int, default=20, metavar="N", help="engrave at most N pages (default 20)")
    p.add_argument("--warnings", action="store_true", help="print verovio's messages")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from partita.engraving import engrave, write_svg
    from partita.symbolic.io import read

    score = read(args.file)
    eng = engrave(score, page_width_mm=args.page_width, page_height_mm=args.page_height, scale=args.scale,
                  max_pages=args.max_pages)  # fmt: skip
    paths = write_svg(eng, args.out)
    if args.warnings:
        for line in eng.warnings:
            print(line, file=sys.stderr)
    extra = f"; {len(eng.warnings)} engraver messages (--warnings shows them)" if eng.warnings and not args.warnings else ""
    print(f"{eng.message()}: {', '.join(str(p) for p in paths)}{extra}")
    return 0
