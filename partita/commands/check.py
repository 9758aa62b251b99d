"""``partita check FILE [--profile NAME] [--enable RULE] [--disable RULE] [--set RULE.PARAM=VALUE] [--json] [--report HTML]``:
name every theory and orchestration problem in a score, by part and bar.

Exit codes: 0 when no violation of severity error was found, 1 when one was, 2 when the input
(file, rule or profile name, parameter) is bad.
"""

from __future__ import annotations

import argparse
import json


from partita.commands._reading import add_read_options, read_score

def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check a score against theory and orchestration rules (range, key, rhythm, voice-leading)",
        description=(
            "Check a score in any format partita reads. Prints the violations grouped by part and "
            "bar, then a summary per rule. Exit code 0: no errors; 1: errors found; 2: bad input."
        ),
    )
    p.add_argument("file", nargs="?", help="a score: .musicxml .xml .mxl .mid .midi .mscx .mscz .abc .krn")
    p.add_argument(
        "--profile", default="chorale", help="chorale (default), classical, pop or orchestration"
    )
    p.add_argument("--enable", action="append", default=[], metavar="RULE", help="add a rule (repeatable)")
    p.add_argument("--disable", action="append", default=[], metavar="RULE", help="remove a rule (repeatable)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="RULE.PARAM=VALUE",
        dest="settings",
        help="change a rule parameter, e.g. spacing.max_semitones=19 or off-grid.grids=1/4,1/6 (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.add_argument("--no-repeats", action="store_true",
                   help="check the bars in written order (default: as played, repeats and jumps followed)")
    p.add_argument("--list-rules", action="store_true", help="list the rules and profiles, then exit")
    p.add_argument("--report", metavar="HTML",
                   help="also write a self-contained HTML report: engraved notation with the violations marked, audio, rates vs Bach")
    p.add_argument("--no-audio", action="store_true", help="with --report: no audio players (skips rendering)")
    add_read_options(p)
    p.set_defaults(run=run)


def _parse_settings(settings: list[str]) -> dict[str, dict[str, str]]:
    from partita.errors import ConfigError

    params: dict[str, dict[str, str]] = {}
    for item in settings:
        key, eq, value = item.partition("=")
        rule, dot, name = key.rpartition(".")
        if not (eq and dot and rule and name):
            raise ConfigError(f"--set {item!r} is not RULE.PARAM=VALUE")
        params.setdefault(rule.strip(), {})[name.strip()] = value.strip()
    return params


def _list_rules() -> str:
    from partita.theory_rules import PROFILES, get_rule, rule_ids
    from partita.theory_rules.core import params_dict

    lines = ["Rules:"]
    for rid in rule_ids():
        r = get_rule(rid)
        params = ", ".join(f"{k}={v}" for k, v in params_dict(r.params).items())
        lines.append(f"  {rid:<20} {r.severity:<7} {r.description}" + (f"  [{params}]" if params else ""))
    lines.append("Profiles:")
    for name, prof in PROFILES.items():
        lines.append(f"  {name:<14} {prof.description} ({len(prof.rules)} rules)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from partita.errors import ConfigError
    from partita.theory_rules import RuleSet, check_played

    if args.list_rules:
        print(_list_rules())
        return 0
    if not args.file:
        raise ConfigError("no score given; usage: partita check FILE [--profile NAME] [--json]")
    # configuration first: a bad rule name should not wait for a slow file to load
    rules = RuleSet.from_profile(
        args.profile, enable=args.enable, disable=args.disable, params=_parse_settings(args.settings)
    )
    score = read_score(args.file, args)
    report = check_played(score, profile=rules, repeats=not args.no_repeats)
    if args.report:
        from partita.classroom import check_report

        check_report(score, args.report, report=report, audio=not args.no_audio)
    if args.json:
        data = {"file": str(args.file), **report.to_dict()}
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(f"{args.file}: {score.title or 'untitled'}, {len(score.parts)} parts, {score.n_bars} bars")
        print(report.format_text())
    return 1 if report.n_errors else 0
