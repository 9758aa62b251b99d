"""``partita upgrade-checkpoint OLD NEW [--card NAME]``: rewrite an older checkpoint in today's format."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "upgrade-checkpoint",
        help="rewrite a composer or instrument checkpoint of an older partita format in today's",
        description=(
            "Read OLD (a composer checkpoint of format 'partita-composer' 1, or an instrument decoder of "
            "'partita-neural-decoder' 2) and write NEW in the one checkpoint format, the arrays bit for bit. "
            "NEW may be OLD. Prints NEW's sha256: update the manifest and model card that pin the old one."
        ),
    )
    p.add_argument("old", metavar="OLD", help="the older .safetensors file")
    p.add_argument("new", metavar="NEW", help="where the converted file goes (written atomically)")
    p.add_argument("--card", default=None, metavar="NAME", help="the model card recorded as the data card (default: OLD.md beside OLD)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from partita.upgrade import upgrade_checkpoint

    print(upgrade_checkpoint(args.old, args.new, card=args.card))
    return 0
