"""``partita continue SCORE --bars N -o OUT``: the score with N more bars written by the composer."""

from __future__ import annotations

import argparse

from partita.commands.compose_plan import add_decoding_options, decoding_said


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "continue",
        help="write N more bars after a score's last bar, every part continuing",
        description="Keep the score (MIDI, MusicXML, ...) as it is and write --bars more bars after it under the masks; "
        "its chord symbols are enforced on strong beats.",
    )
    p.add_argument("score", help="the guide: a score partita reads (.musicxml, .mid, ...)")
    p.add_argument("--bars", type=int, required=True, help="how many bars to add")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=None)
    p.add_argument("--profile", default=None)
    p.add_argument("--threads", type=int, default=1)
    add_decoding_options(p)
    p.add_argument("-o", "--out", required=True, help="output score file (format from the extension)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from partita.symbolic import io as sio
    from partita.symbolic.composer.edit import continue_

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    out, st = continue_(args.score, bars=args.bars, seed=args.seed, weights=args.weights, profile=args.profile,
                        temperature=args.temperature, top_p=args.top_p, return_stats=True, style=args.style)  # fmt: skip
    sio.write(out, args.out)
    print(f"wrote {args.out}: {args.bars} bars added in {st.seconds:.1f} s; {st.chord_relaxations} chord relaxations; "
          f"{decoding_said(out)}", file=sys.stderr)  # fmt: skip
    return 0
