"""Decoders trained on one soundfont or on two, measured on held-out notes of each.

The issue asks that decoders "train from MuseScore_General as well as FluidR3". This benchmark
says what that buys, instrument by instrument. For each instrument named, the analysed data of
both soundfonts (``data/neural/ms2_NAME/dataset.npz``, git-ignored: ``partita train-instrument
FluidR3_GM.sf2 MuseScore_General.sf3 --name NAME --data-minutes 6 --work data/neural/ms2_NAME``
builds it, 3 minutes of each soundfont playing the same notes, seed 0) holds each soundfont's own
held-out items (every fifth note or phrase, never trained on; the FluidR3 ones are the items
``bench_neural.py`` measures). On each soundfont's held-out items:

* ``one``: the decoder trained on FluidR3_GM alone (``--one DIR``: ``DIR/NAME.safetensors``; by
  default the shipped one);
* ``two``: the decoder trained on both (``--candidate DIR``: ``DIR/NAME.safetensors``), when given;

(the report says which of the two ships, by sha256);
* ``designed`` and ``sawtooth``: as in ``bench_neural.py``;

each re-synthesised from the recording's measured controls and compared with it by the measures
of ``bench_neural.evaluate`` (DDSP's multi-scale spectral loss at 16 kHz, f0 and loudness errors,
the share of harmonic energy above 8 kHz).

and on music neither was trained on: one line of Bach's chorale BWV 269 (music21's corpus; the
line in the instrument's range: soprano for the violin and the flute, alto for the viola and the
clarinet, tenor for the horn, bass for the cello), rendered by partita with each decoder (the
performer's curves, as a user's score is played) and by the fluidsynth program with each
soundfont (reverb and chorus off, float output: ``drum_samples._fluidsynth``, as the drum and
pizzicato benchmarks render their references); the distance is the mean |difference| in dB of the third-octave
long-term spectra (125 Hz - 24 kHz, 4096-point Hann frames, each spectrum less its mean level),
and the same below and above 8 kHz.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_neural_sources.py violin [NAME ...] --candidate data/neural/ms2c24 --one data/neural/fluidr3_only

writes ``benchmarks/results/neural_sources.json`` and ``.md`` (rows of earlier runs for other
instruments are kept: each instrument's row is kept in ``data/neural/ms2_NAME/bench_sources.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _results import provenance, write_results  # benchmarks/ is sys.path[0] when a benchmark runs

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf3/MuseScore_General.sf3")
LABELS = ("FluidR3_GM", "MuseScore_General")


def held_out_of(data: dict, source: int) -> dict:
    """``data`` with only one source's held-out items marked held out (``split == 1``)."""
    out = dict(data)
    out["split"] = np.where(data["source"] == source, data["split"], 0).astype(data["split"].dtype)
    return out


#: The line of BWV 269 each instrument plays (its index in the chorale's parts).
CHORALE_LINE = {"violin": 0, "flute": 0, "oboe": 0, "viola": 1, "clarinet": 1, "horn": 2, "bassoon": 3, "cello": 3}
#: Third-octave band edges from 125 Hz to 24 kHz.
EDGES = 125.0 * 2.0 ** (np.arange(0, 23) / 3.0)


def third_octave_ltas(x: np.ndarray, sample_rate: int = 48000) -> np.ndarray:
    """Long-term average spectrum in third-octave bands (dB; 4096-point Hann frames, hop 2048)."""
    n = 4096
    win = np.hanning(n)
    frames = [np.abs(np.fft.rfft(x[i : i + n] * win)) ** 2 for i in range(0, len(x) - n, n // 2)]
    power = np.mean(frames, axis=0)
    f = np.fft.rfftfreq(n, 1.0 / sample_rate)
    return np.array([10 * np.log10(power[(f >= a) & (f < b)].mean() + 1e-20) for a, b in zip(EDGES[:-1], EDGES[1:])])


def ltas_distance(y: np.ndarray, ref: np.ndarray) -> dict:
    """Mean |difference| of the level-normalised third-octave spectra: in all, below and above 8 kHz."""
    a, b = third_octave_ltas(y), third_octave_ltas(ref)
    d = (a - a.mean()) - (b - b.mean())
    low = EDGES[1:] <= 8000.0
    return {"all": round(float(np.abs(d).mean()), 2), "below_8k": round(float(np.abs(d[low]).mean()), 2),
            "above_8k": round(float(np.abs(d[~low]).mean()), 2)}  # fmt: skip


def chorale_row(name: str, decoders: dict, work: Path) -> dict:
    """Each decoder's distance to each soundfont's fluidsynth render of a line of BWV 269."""
    import dataclasses

    import mido
    import music21
    import soundfile as sf

    from partita.render.drum_samples import _fluidsynth
    from partita.render.stems import render
    from partita.symbolic.io import read, write

    work.mkdir(parents=True, exist_ok=True)
    xml = work / "bwv269.musicxml"
    music21.corpus.parse("bach/bwv269").write("musicxml", fp=str(xml))
    score = read(xml)
    line = dataclasses.replace(score.parts[CHORALE_LINE[name]], instrument=name)
    score = dataclasses.replace(score, parts=(line,))
    write(score, work / f"{name}.mid")
    refs = {}
    midi = mido.MidiFile(str(work / f"{name}.mid"))
    for sf_path, label in zip(SOUNDFONTS, LABELS):  # the fluidsynth program, reverb and chorus off, float
        refs[label] = _fluidsynth(sf_path, midi, work / f"{name}_{label}", 48000).mean(axis=1)
    out: dict = {label: {} for label in LABELS}
    out[LABELS[1]]["other soundfont"] = ltas_distance(refs[LABELS[0]], refs[LABELS[1]])  # the scale: how far apart the two are
    for key, dec in decoders.items():
        if key == "sawtooth":
            continue
        stems = work / f"{name}_{key}"
        render(score, stems, decoders={line.id: dec}, progress=False)
        y = sf.read(sorted((stems / "stems").glob("*.wav"))[0])[0]
        for label in LABELS:
            out[label][key] = ltas_distance(y, refs[label])
    return out


def main() -> None:
    import torch

    torch.set_num_threads(1)
    from bench_neural import _sawtooth, evaluate

    from partita.render.instrument_training import prepare_data
    from partita.render.neural_infer import NeuralDecoder, shipped_decoder
    from partita.render.timbres import timbre_for

    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+", help="instruments (catalog ids with a shipped neural decoder)")
    ap.add_argument("--candidate", default=None, help="folder of decoders trained on both soundfonts (NAME.safetensors)")
    ap.add_argument("--one", default=None, help="folder of decoders trained on FluidR3_GM alone (NAME.safetensors; default: "
                    "the shipped decoder)")
    args = ap.parse_args()
    for name in args.names:
        work = ROOT / "data/neural" / f"ms2_{name}"
        data, _, _ = prepare_data(source=list(SOUNDFONTS), name=name, data_minutes=6.0, seed=0, f0_method="crepe", work_dir=work)
        decoders = {"one": shipped_decoder(name), "designed": timbre_for(name), "sawtooth": _sawtooth()}
        for key, folder in (("one", args.one), ("two", args.candidate)):
            if folder:
                path = Path(folder) / f"{name}.safetensors"
                if not path.exists():
                    sys.exit(f"bench_neural_sources: no decoder {path}")
                decoders[key] = NeuralDecoder.from_file(path)
        row = {"decoders": {k: getattr(d, "fingerprint", lambda: "")() for k, d in decoders.items()},
               "shipped": shipped_decoder(name).fingerprint(), "sources": {}}  # fmt: skip
        for s, label in enumerate(LABELS):
            part = held_out_of(data, s)
            items = int(len(np.unique(part["item"][part["split"] == 1])))
            row["sources"][label] = {"items": items, **{k: evaluate(d, part) for k, d in decoders.items()}}
            print(name, label, json.dumps(row["sources"][label]), flush=True)
        if name in CHORALE_LINE:
            row["chorale"] = chorale_row(name, decoders, work / "chorale")
            print(name, "BWV 269", json.dumps(row["chorale"]), flush=True)
        row["provenance"] = provenance()
        (work / "bench_sources.json").write_text(json.dumps(row, indent=1))
    rows = {}
    for path in sorted((ROOT / "data/neural").glob("ms2_*/bench_sources.json")):
        rows[path.parent.name[len("ms2_"):]] = json.loads(path.read_text())
    lines = ["Held-out notes and phrases of each soundfont (every fifth item of 3 minutes of each, the same notes; never "
             "trained on), re-synthesised from their measured controls. `one`: the decoder trained on FluidR3_GM alone; "
             "`two`: trained on both soundfonts (`partita train-instrument FluidR3_GM.sf2 MuseScore_General.sf3 --name NAME "
             "--data-minutes 6 --minutes 30 --patience 9`); spectral: DDSP's multi-scale spectral loss at 16 kHz (lower is "
             "better); loudness: mean |A-weighted loudness error| dB; >8k: |difference| of the share of harmonic energy "
             "above 8 kHz, dB. Each row's run:", ""]
    for name, row in rows.items():
        prov = row["provenance"]
        shipped = next((k for k, v in row["decoders"].items() if v == row["shipped"]), "neither")
        lines.append(f"- {name}: `{prov['command']}` (commit {prov['commit'][:12]}, {prov['date']}); decoders "
                     + ", ".join(f"{k} `{v[:12]}`" for k, v in row["decoders"].items() if v)
                     + f"; shipped: {shipped}")  # fmt: skip
    lines += ["", "| instrument | held out from | items | one spectral | two spectral | designed spectral | sawtooth spectral "
              "| one loud dB | two loud dB | one >8k dB | two >8k dB |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, row in rows.items():
        for label, r in row["sources"].items():
            two = r.get("two", {})
            lines.append(f"| {name} | {label} | {r['items']} | {r['one']['spectral']} | {two.get('spectral', '-')} | "
                         f"{r['designed']['spectral']} | {r['sawtooth']['spectral']} | {r['one']['loudness_db']} | "
                         f"{two.get('loudness_db', '-')} | {r['one'].get('upper_db', '-')} | {two.get('upper_db', '-')} |")  # fmt: skip
    lines += ["", "BWV 269, one line (see above), against each soundfont's fluidsynth render: mean |difference| of the "
              "level-normalised third-octave long-term spectra, dB (all bands / below 8 kHz / above 8 kHz).", "",
              "| instrument | against | one | two | designed | FluidR3_GM's render |", "| --- | --- | --- | --- | --- | --- |"]
    for name, row in rows.items():
        for label, r in row.get("chorale", {}).items():
            cell = lambda k: " / ".join(str(r[k][b]) for b in ("all", "below_8k", "above_8k")) if k in r else "-"  # noqa: E731
            lines.append(f"| {name} | {label} | {cell('one')} | {cell('two')} | {cell('designed')} | {cell('other soundfont')} |")
    write_results("neural_sources", {"instruments": rows}, lines,
                  title="Decoders trained on FluidR3_GM alone or on FluidR3_GM and MuseScore_General, on held-out notes of each")


if __name__ == "__main__":
    main()
