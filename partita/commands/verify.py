"""``partita verify OUTDIR [--reproduce]``: check a render folder's signed provenance."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="check provenance.json's signature and every file's sha256; --reproduce renders again",
        description=(
            "Check that OUTDIR/provenance.json is signed by the trusted Ed25519 key and that every "
            "file it records still has its recorded sha256; name each file that changed. With "
            "--reproduce, render and mix the recorded score again and confirm bit-identical audio. "
            "Exit 0: all good; 1: files changed or audio differs; 2: not a render, no key, wrong key "
            "or a broken signature."
        ),
    )
    p.add_argument("out", metavar="OUTDIR", help="a folder written by partita compose or partita mix")
    p.add_argument("--reproduce", action="store_true", help="re-render from the recorded inputs and compare")
    p.add_argument("--key-dir", default=None, help="key folder whose ed25519.pub is trusted (default: $PARTITA_KEY_DIR or ~/.config/partita/keys)")
    p.add_argument("--public-key", default=None, metavar="PEM", help="trust this public key file instead")
    p.add_argument("--jobs", type=int, default=2, metavar="N", help="threads for --reproduce (default 2)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from partita.provenance import verify

    rep = verify(args.out, key_dir=args.key_dir, public_key=args.public_key)
    for f in rep.changed:
        print(f"partita: verify: {f}: changed since it was signed", file=sys.stderr)
    for f in rep.missing:
        print(f"partita: verify: {f}: missing", file=sys.stderr)
    for f in rep.unrecorded:
        print(f"partita: verify: {f}: not in the signed record", file=sys.stderr)
    if not rep.ok:
        return 1
    print(f"verified {args.out}: signature ok (key {rep.key_id}), {rep.n_files} files match")
    from partita.provenance import read_provenance

    orig = read_provenance(args.out)["record"].get("originality")
    if orig:
        # the section is part of the signed record: the signature above covers it
        longest = orig.get("longest_melody") or {}
        sim = orig.get("similarity") or {}
        print(f"originality (signed): {orig.get('verdict')}"
              + (f", longest shared melody {longest['length']} notes with {longest['source']}" if longest else "")
              + (f"; similarity to {sim['reference']} {sim['score']:.2f}" if sim.get("score") is not None else ""))
    if args.reproduce:
        from partita.pipeline import reproduce

        same, differ = reproduce(args.out, key_dir=args.key_dir, public_key=args.public_key, workers=args.jobs,
                                 progress=lambda stage, msg: print(f"reproduce: {stage}: {msg}", file=sys.stderr))
        for f in differ:
            print(f"partita: verify: {f}: re-rendered audio differs", file=sys.stderr)
        if differ:
            return 1
        print(f"reproduced: {len(same)} audio files bit-identical")
    return 0
