"""The ``partita`` command line.

Each subcommand lives in its own module under :mod:`partita.commands` with two functions:
``add_parser(subparsers)`` (cheap: no heavy imports) and ``run(args) -> int``. Heavy libraries
(music21, torch, numba) are imported inside ``run`` so that ``partita --help`` answers at once.

Every :class:`~partita.errors.PartitaError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from partita.errors import PartitaError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = ("info", "convert", "check", "render", "compose_plan", "continue_cmd", "train_composer", "train_instrument", "mix", "verify", "orchestrate", "engrave")


def build_parser() -> argparse.ArgumentParser:
    from partita import __version__

    parser = argparse.ArgumentParser(
        prog="partita",
        description="Compose and perform music: scores, stems and mixes, offline.",
    )
    parser.add_argument("--version", action="version", version=f"partita {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"partita.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except PartitaError as exc:
        print(f"partita: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("partita: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
