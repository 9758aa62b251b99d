"""``partita originality SCORE [--against DIR|corpus]...``: passages shared with a corpus."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "originality",
        help="the longest passages a score shares with the composer's training corpus or a folder",
        description=(
            "Find the longest melodic passages (per part; transposition-invariant, rhythm-aware) and chord "
            "sequences that SCORE shares with the shipped composer's training corpus (the default, "
            "'corpus') or with a folder of scores. Each is reported with its source piece, bars and "
            "length; passages past the thresholds of docs/originality.md are flagged. Exit 0: clear; "
            "1: flagged; 2: bad input."
        ),
    )
    p.add_argument("score", metavar="SCORE", help="a score file, or a folder written by partita compose (its score.json)")
    p.add_argument("--against", action="append", default=None, metavar="DIR|corpus",
                   help="what to search (repeatable; default: corpus)")
    p.add_argument("--top", type=int, default=8, help="passages to list (default 8)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from partita.symbolic.composer.originality import check_originality
    from partita.symbolic.composer.profile import read_score_file

    rep = check_originality(read_score_file(args.score), against=args.against or ["corpus"])
    if args.json:
        print(json.dumps({**rep.to_dict(), "matches": [m.describe() for m in rep.matches]},
                         indent=1, sort_keys=True))
    else:
        print(rep.summary(top=args.top))
    return 1 if rep.flagged else 0
