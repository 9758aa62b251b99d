"""``partita similarity A B [--json]``: how close two sets of music are in style."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "similarity",
        help="style similarity 0..1 of A to B (scores, folders or profiles), per feature",
        description=(
            "Compare A with B (each a score file, a folder of scores or a profile written by partita "
            "profile): one score from 0 to 1 (1: A's segments sit among B's as B's own do) and the "
            "MGEval overlapped area of every feature. See docs/originality.md for reference values."
        ),
    )
    p.add_argument("a", metavar="A", help="score, folder or profile.json")
    p.add_argument("b", metavar="B", help="score, folder or profile.json (the reference style)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from partita.symbolic.composer.similarity import similarity

    rep = similarity(args.a, args.b)
    if args.json:
        print(json.dumps(rep.to_dict(), indent=1, sort_keys=True))
    else:
        print(rep.summary())
        for k, v in sorted(rep.features.items(), key=lambda kv: -kv[1]):
            print(f"  {k:18s} {v:.3f}")
    return 0
