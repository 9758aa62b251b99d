"""The bowed strings' neural decoders on tremolo, an articulation their training data lacks.

Issue #13 asks for tremolo among the strings' articulations. The shipped violin, viola, cello
and contrabass decoders were trained on FluidR3_GM's isolated notes and legato phrases only; a
score's tremolo (``symbolic/realize.py``) reaches them as re-bowed thirty-second notes. This
benchmark measures how they play it, on held-out tremolo that no decoder saw, from two sources:

* ``repeated``: FluidR3_GM's own instrument playing measured tremolo the way partita realises
  it (:func:`partita.render.dataset.tremolo_events`): thirty-second notes (80-132 bpm, so
  10.7-17.6 strokes a second) re-struck on one to three pitches, each held one or two beats,
  the stroke 85 % of its slot, with a crescendo or diminuendo by CC 11 and the down-bow's
  stroke a little louder;
* ``section``: MuseScore_General's recorded string-section tremolo (``Violins Tremolo``, bank
  20; ``Violas``, 30; ``Celli``, 40; ``Basses``, 50; program 44), one held note per item:
  real bowed tremolo, a section rather than a soloist.

Each item is analysed as the training data is (:func:`partita.render.dataset.build_dataset`, f0
by CREPE tiny, RMS level) and re-synthesised from its measured controls by the trained decoder,
the designed timbre and a plain sawtooth, as in ``bench_neural.py`` (whose ``evaluate`` this
reuses: DDSP's multi-scale spectral loss at 16 kHz, f0 error by YIN, A-weighted loudness error).
Lower spectral loss is better; the trained decoder should be the lowest of the three.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_tremolo.py [--items 8] [--only violin ...] [--weights DIR --out NAME]

writes ``benchmarks/results/tremolo.json`` and ``.md`` (``--weights``: candidate decoders, to
``benchmarks/results/NAME.*``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

FLUID = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
MUSESCORE = "/usr/share/sounds/sf3/MuseScore_General.sf3"
#: MuseScore_General's section tremolo per instrument: (bank, program).
SECTIONS = {"violin": (20, 44), "viola": (30, 44), "cello": (40, 44), "contrabass": (50, 44)}
SEED = 2026  # the held-out draw (the decoders' training data used seed 0 and no tremolo)


def repeated_tremolo(program: int, midi_range: tuple[int, int], n_items: int, rng: np.random.Generator) -> list:
    """FluidR3_GM's instrument re-struck in thirty-second notes: the training data's own tremolo
    (:func:`partita.render.dataset.tremolo_events`, which ``train-instrument --tremolo`` renders),
    drawn from this benchmark's seed."""
    from partita.render.dataset import SR, Item, open_soundfont, play_events, tremolo_events

    fs, _ = open_soundfont(FLUID, program)
    items = []
    for k in range(n_items):
        ev, t = tremolo_events(rng, *midi_range)
        items.append(Item(f"repeated_{k}", play_events(fs, ev, t + 0.5), SR))
    fs.delete()
    return items


def section_tremolo(name: str, midi_range: tuple[int, int], n_items: int, rng: np.random.Generator) -> list:
    """MuseScore_General's recorded section tremolo, one held note per item (1.2-2.5 s)."""
    from partita.render.dataset import SR, Item, expression_ramp, open_soundfont, play_events

    bank, program = SECTIONS[name]
    fs, _ = open_soundfont(MUSESCORE, program, bank)
    lo, hi = midi_range
    items = []
    for k in range(n_items):
        pitch = int(rng.integers(lo + 2, min(hi, lo + 26)))
        dur = float(rng.uniform(1.2, 2.5))
        ev = [(0.0, "noteon", (0, pitch, int(rng.integers(55, 110)))), (dur, "noteoff", (0, pitch))]
        ev += expression_ramp(dur, bool(rng.random() < 0.5))
        items.append(Item(f"section_{k}", play_events(fs, [(0.0, "cc", (0, 11, 127)), *ev], dur + 0.5), SR))
    fs.delete()
    return items


def main() -> int:
    import torch

    torch.set_num_threads(1)
    import bench_neural

    from partita.render import dataset
    from partita.render.neural_infer import NeuralDecoder, shipped_decoder
    from partita.render.timbres import timbre_for
    from partita.render.training_io import soundfont_target

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=8, help="items per source and instrument")
    ap.add_argument("--only", nargs="*", default=list(SECTIONS), help="instruments (default: the four bowed strings)")
    ap.add_argument("--weights", default=None, metavar="DIR", help="measure DIR/NAME.safetensors instead of the shipped decoders")
    ap.add_argument("--out", default="tremolo", help="results name (default tremolo: benchmarks/results/tremolo.*)")
    args = ap.parse_args()
    results: dict[str, dict] = {}
    t0 = time.monotonic()
    for name in args.only:
        program, midi_range = soundfont_target(name, None, default_range=(48, 84))
        rng = np.random.default_rng([SEED, program])
        decoder = shipped_decoder(name) if args.weights is None else NeuralDecoder.from_file(Path(args.weights) / f"{name}.safetensors")
        results[name] = {"weights_sha256": decoder.fingerprint()}
        for source, make in (("repeated", lambda: repeated_tremolo(program, midi_range, args.items, rng)),
                             ("section", lambda: section_tremolo(name, midi_range, args.items, rng))):  # fmt: skip
            data = dataset.build_dataset(make(), val_every=1, skip_unpitched=True)  # every item held out
            row = {"items": int(len(np.unique(data["item"]))), "seconds": round(len(data["f0_hz"]) / 250.0, 1)}
            for label, dec in (("trained", decoder), ("designed", timbre_for(name)), ("sawtooth", bench_neural._sawtooth())):
                r = bench_neural.evaluate(dec, data)
                row[label] = {"spectral": r["spectral"], "f0_cents": r["f0_cents"], "loudness_db": r["loudness_db"]}
            row["trained_lowest"] = row["trained"]["spectral"] < min(row["designed"]["spectral"], row["sawtooth"]["spectral"])
            results[name][source] = row
            print(f"{name} {source}: trained {row['trained']['spectral']}, designed {row['designed']['spectral']}, "
                  f"sawtooth {row['sawtooth']['spectral']} ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
    md = [
        "",
        "Held-out tremolo (no decoder trained on any), re-synthesised from its measured controls (CREPE tiny f0, "
        "RMS level) by each decoder; DDSP's multi-scale spectral loss at 16 kHz against the source (lower is better), "
        "median |f0 error| in cents (YIN), mean |A-weighted loudness error| in dB. `repeated`: FluidR3_GM's instrument "
        "re-struck in thirty-second notes, as partita realises a tremolo mark; `section`: MuseScore_General's recorded "
        f"section tremolo (banks {', '.join(str(b) for b, _ in SECTIONS.values())}, program 44). {args.items} items per "
        "source and instrument; seed " + str(SEED) + ".",
        "",
        "| instrument | source | items | seconds | trained spectral | designed spectral | sawtooth spectral | trained lowest | trained f0 c | trained loud dB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        for source in ("repeated", "section"):
            row = r[source]
            md.append(f"| {name} | {source} | {row['items']} | {row['seconds']} | {row['trained']['spectral']} | "
                      f"{row['designed']['spectral']} | {row['sawtooth']['spectral']} | {'yes' if row['trained_lowest'] else 'no'} | "
                      f"{row['trained']['f0_cents']} | {row['trained']['loudness_db']} |")  # fmt: skip
    command = "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_tremolo.py" + (f" --items {args.items}" if args.items != 8 else "") + (
        f" --only {' '.join(args.only)}" if args.only != list(SECTIONS) else "") + (
        f" --weights {args.weights} --out {args.out}" if args.weights else "")  # fmt: skip
    write_results(args.out, {"weights": args.weights or "shipped", "items_per_source": args.items, "seed": SEED, "instruments": results}, md,
                  title="The bowed strings' decoders on held-out tremolo", command=command)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
