"""``partita info FILE [--json]``: what a score holds."""

from __future__ import annotations

import argparse
import json
from fractions import Fraction
from typing import Any

from partita.commands._reading import add_read_options, read_score

#: Form marks that stand on the bar line closing their bar.
_AT_BAR_END = frozenset({"repeat-end", "fine", "to-coda", "dc", "dc-al-fine", "dc-al-coda", "ds", "ds-al-fine", "ds-al-coda"})


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="describe a score: parts, bars, duration, keys, tempi, meters, sections",
        description="Describe a score in any format partita reads.",
    )
    p.add_argument("file", help="a score: .musicxml .xml .mxl .mid .midi .mscx .mscz .abc .krn")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_read_options(p)
    p.add_argument("--no-repeats", action="store_true", help="give the played length as written (each bar once)")
    p.set_defaults(run=run)


def describe(score: Any, *, repeats: bool = True) -> dict[str, Any]:
    """A JSON-friendly summary of a :class:`~partita.symbolic.score.Score`.

    ``n_bars`` and ``duration_*`` are the written music (each bar once); ``played`` gives the
    bars and length as performed (repeats, voltas, D.C./D.S. played out unless ``repeats`` is
    False), and ``form`` the written repeat signs and jumps.
    """
    from partita.instruments import get
    from partita.symbolic.playback import bar_groups, performed, play_order
    from partita.symbolic.report import drops_json

    def at(onset):
        pos = score.bar_of(onset)
        return {"bar": pos.bar, "beat": float(pos.beat)}

    def at_end(onset):  # a mark on a bar's closing bar line belongs to that bar
        return {"bar": score.bar_of(max(onset - Fraction(1, 10080), Fraction(0))).bar, "beat": "end"}

    played = performed(score, repeats=repeats)
    groups = bar_groups(play_order(score) if repeats else tuple(score.bars()))
    return {
        "title": score.title,
        "parts": [
            {
                "id": p.id,
                "name": p.name,
                "instrument": p.instrument,
                "instrument_name": get(p.instrument).name,
                "n_notes": len(p.notes),
            }
            for p in score.parts
        ],
        "n_bars": score.n_bars,
        "duration_seconds": round(score.duration_seconds, 6),
        "duration_quarters": str(score.end),
        "pickup_quarters": str(score.pickup),
        "played": {
            "n_bars": len(groups),
            "bars": [g[0].number for g in groups],
            "duration_seconds": round(played.duration_seconds, 6),
            "duration_quarters": str(played.end),
        },
        "form": [
            {**(at_end(f.onset) if f.kind in _AT_BAR_END else at(f.onset)), "kind": f.kind, **({"times": f.times} if f.kind == "repeat-end" else {}),
             **({"numbers": list(f.numbers)} if f.kind == "volta" else {})}
            for f in score.form
        ],
        "playing": [{**at(m.onset), "kind": m.kind, "text": m.text} for m in score.playing],
        "keys": [{**at(k.onset), "fifths": k.fifths, "mode": k.mode, "name": str(k)} for k in score.key_signatures],
        "tempi": [{**at(m.onset), "bpm": m.bpm, "text": m.text} for m in score.tempo_map.marks],
        "time_signatures": [
            {**at(t.onset), "time_signature": f"{t.numerator}/{t.denominator}"} for t in score.time_signatures
        ],
        "sections": [{**at(s.onset), "name": s.name} for s in score.sections],
        "metadata": dict(score.metadata),
        "dropped": drops_json(score.dropped),
    }


def run(args: argparse.Namespace) -> int:
    score = read_score(args.file, args)
    info = describe(score, repeats=not args.no_repeats)
    if str(args.file).lower().endswith(".abc"):
        from partita.symbolic.io.abc import tunes

        info["tunes"] = [{"number": t.number, "title": t.title} for t in tunes(args.file)]
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    minutes, seconds = divmod(info["duration_seconds"], 60)
    print(f"{args.file}: {info['title'] or '(untitled)'}")
    print(f"  written: {info['n_bars']} bars, {int(minutes)}:{seconds:04.1f} ({info['duration_seconds']:.2f} s)")
    pl = info["played"]
    minutes, seconds = divmod(pl["duration_seconds"], 60)
    print(f"  played:  {pl['n_bars']} bars, {int(minutes)}:{seconds:04.1f} ({pl['duration_seconds']:.2f} s)"
          + ("" if score.form else " (no repeats or jumps)") + (" (--no-repeats)" if args.no_repeats else ""))
    print(f"  parts ({len(info['parts'])}):")
    width = max((len(p["name"]) for p in info["parts"]), default=0)
    for p in info["parts"]:
        print(f"    {p['name']:<{width}}  {p['instrument_name']:<16} {p['n_notes']:>6} notes")

    def where(x):
        if x["beat"] == "end":
            return f"end of bar {x['bar']}"
        return f"bar {x['bar']}" + (f" beat {x['beat']:g}" if x["beat"] != 1 else "")

    for label, key, fmt in (
        ("keys", "keys", lambda k: k["name"]),
        ("tempi", "tempi", lambda t: f"{t['bpm']:g} bpm" + (f" ({t['text']})" if t["text"] else "")),
        ("time signatures", "time_signatures", lambda t: t["time_signature"]),
        ("sections", "sections", lambda s: s["name"]),
        ("playing", "playing", lambda m: m["text"] or m["kind"]),
        ("form", "form", lambda f: f["kind"] + (f" x{f['times']}" if f.get("times", 2) != 2 else "")
         + (f" {','.join(map(str, f['numbers']))}." if f.get("numbers") else "")),
    ):
        items = info[key]
        if items:
            print(f"  {label}: " + ", ".join(f"{fmt(x)} at {where(x)}" for x in items))
    if len(info.get("tunes", ())) > 1:
        listed = ", ".join(f"{t['number']} {t['title']!r}" for t in info["tunes"])
        print(f"  tune book of {len(info['tunes'])} tunes (choose with --tune N): {listed}")
    print_drops(score)
    return 0


def print_drops(score: Any, *, file: Any = None) -> None:
    """Print what the reader could not keep, one line per kind and part (nothing when none)."""
    from partita.symbolic.report import drop_lines

    lines = drop_lines(score.dropped)
    if lines:
        print("  dropped (not kept from the file):", file=file)
        for line in lines:
            print(f"    {line}", file=file)
