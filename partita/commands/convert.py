"""``partita convert IN OUT``: between score formats, chosen by extension."""

from __future__ import annotations

import argparse
from pathlib import Path

from partita.errors import FormatError


from partita.commands._reading import add_read_options, read_score

def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a score between MusicXML, MIDI and MuseScore (by extension)",
        description="Convert a score; the formats follow the file extensions. "
        "Reads .musicxml .xml .mxl .mid .midi .mscx .mscz .abc .krn; "
        "writes .musicxml .xml .mxl .mid .midi .mscx .mscz.",
    )
    p.add_argument("input", help="score to read")
    p.add_argument("output", help="file to write (replaced atomically if it exists)")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object (what was written and dropped)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from partita.symbolic.io import write

    src, dst = Path(args.input), Path(args.output)
    if src.resolve() == dst.resolve():
        raise FormatError("the output would overwrite the input; choose another file", file=str(dst))
    score = read_score(src, args)
    write(score, dst)
    n_notes = sum(len(p.notes) for p in score.parts)
    if getattr(args, "json", False):
        import json

        from partita.symbolic.report import drops_json

        print(json.dumps({"output": str(dst), "n_parts": len(score.parts), "n_notes": n_notes,
                          "n_bars": score.n_bars, "dropped": drops_json(score.dropped)}, indent=2, ensure_ascii=False))
        return 0
    print(f"wrote {dst} ({len(score.parts)} parts, {n_notes} notes, {score.n_bars} bars)")
    from partita.commands.info import print_drops

    print_drops(score)
    return 0
