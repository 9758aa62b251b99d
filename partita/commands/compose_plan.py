"""``partita plan "PROMPT" [--json]``: the Plan a prompt makes, before any note is written."""

from __future__ import annotations

import argparse
import json


def _add_plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("prompt", nargs="?", default="", help="free text: mood, genre, ensemble, tempo words")
    p.add_argument("--tags", nargs="*", default=[], help="extra words or phrases read like the prompt")
    p.add_argument("--seconds", type=float, default=None, help="length in seconds (default 60)")
    p.add_argument("--ensemble", default=None, help="an ensemble preset, e.g. 'string quartet'")
    p.add_argument("--key", default=None, help="e.g. 'D minor', 'Bb major'")
    p.add_argument("--tempo", type=float, default=None, help="quarter notes per minute")
    p.add_argument("--meter", default=None, help="e.g. 3/4, 6/8")
    p.add_argument("--seed", type=int, default=0, help="picks among equal options (default 0)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="show the plan (key, tempo, sections, chords, parts) a prompt makes",
        description="Read a prompt into a Plan and print it; words the planner does not know are listed.",
    )
    _add_plan_options(p)
    p.add_argument("--json", action="store_true", help="print the plan as JSON (what compose reads)")
    p.set_defaults(run=run)


def make_plan(args: argparse.Namespace):
    """The Plan the parsed arguments ask for."""
    from partita.symbolic.composer.planner import plan

    return plan(
        args.prompt, tags=tuple(args.tags), duration_s=args.seconds, key=args.key,
        tempo=args.tempo, meter=args.meter, ensemble=args.ensemble, seed=args.seed,
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    p = make_plan(args)
    if args.json:
        print(json.dumps(p.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(p.describe())
    return 0
