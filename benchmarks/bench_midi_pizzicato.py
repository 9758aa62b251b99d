"""Pizzicato through MIDI, heard by fluidsynth: how far each note of a written MIDI file falls
below its attack within 0.5 s, pizzicato notes against bowed ones.

Usage::

    .venv/bin/python benchmarks/bench_midi_pizzicato.py [--out benchmarks/results/midi_pizzicato]

For each bowed string of the catalog (violin, viola, cello, contrabass), one part plays every
second semitone of its comfortable range twice, bowed then pizzicato, two-second notes a second
apart at 60 bpm, velocity 90. partita writes the score as MIDI (the pizzicato notes under GM
program 45, Pizzicato Strings, switched on the part's channel) and the fluidsynth program plays
the file through FluidR3_GM at 48 kHz:

* **dry**: reverb and chorus off, gain 0.5 (what ``tests/test_midi_pizzicato.py`` renders);
* **default**: ``fluidsynth -ni -F out.wav -r 48000 FluidR3_GM.sf2 file.mid``, fluidsynth's own
  defaults (its reverb and chorus on).

Per note, the fall is measured by ``tests/reference.py``'s ``drop_within_db``: the loudest 20 ms
frame of the first 150 ms against the quietest frame after it that starts within 0.5 s of the
onset (mono: the mean of fluidsynth's two channels).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from _results import write_results  # noqa: E402

from tests.reference import drop_within_db  # noqa: E402

from partita import instruments  # noqa: E402
from partita.render.drum_samples import _fluidsynth  # noqa: E402
from partita.symbolic.io.midi import score_to_bytes  # noqa: E402
from partita.symbolic.score import Note, Part, Score  # noqa: E402
from partita.symbolic.timeline import TempoMap, TempoMark  # noqa: E402

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 48000
PIZZ = frozenset({"pizzicato"})
BOWED = ("violin", "viola", "cello", "contrabass")


def _score(instrument: str) -> Score:
    low, high = instruments.get(instrument).comfortable_range
    notes = []
    for i, pitch in enumerate(range(low, high + 1, 2)):
        notes.append(Note(6 * i, 2, pitch, velocity=90))
        notes.append(Note(6 * i + 3, 2, pitch, velocity=90, articulations=PIZZ))
    part = Part("p", instruments.get(instrument).name, instrument, notes=tuple(notes))
    return Score(parts=(part,), tempo_map=TempoMap((TempoMark(0, 60.0),)))


def _default_fluidsynth(data: bytes, work: Path) -> np.ndarray:
    import soundfile as sf

    (work / "file.mid").write_bytes(data)
    subprocess.run(["fluidsynth", "-ni", "-q", "-F", str(work / "out.wav"), "-r", str(SR), str(SOUNDFONT),
                    str(work / "file.mid")], check=True, capture_output=True)  # fmt: skip
    audio, _ = sf.read(str(work / "out.wav"), dtype="float32", always_2d=True)
    return audio.mean(axis=1)


def main(argv: list[str] | None = None) -> int:
    import mido

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="midi_pizzicato")
    args = ap.parse_args(argv)
    data: dict = {"soundfont": str(SOUNDFONT), "sample_rate": SR, "within_s": 0.5,
                  "fluidsynth": subprocess.run(["fluidsynth", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
                  "instruments": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for instrument in BOWED:
            score = _score(instrument)
            midi = score_to_bytes(score)
            renders = {"dry": _fluidsynth(SOUNDFONT, mido.MidiFile(file=io.BytesIO(midi)), work / "dry", SR).mean(axis=1),
                       "default": _default_fluidsynth(midi, work)}  # fmt: skip
            row: dict = {"pitches": sorted({n.pitch for n in score.parts[0].notes})}
            for how, audio in renders.items():
                for kind, pizz in (("bowed", False), ("pizzicato", True)):
                    drops = [round(drop_within_db(audio, int(float(n.onset) * SR), sample_rate=SR), 1)
                             for n in score.parts[0].notes if ("pizzicato" in n.articulations) == pizz]  # fmt: skip
                    row[f"{how}_{kind}_drop_db"] = drops
            data["instruments"][instrument] = row
            print(instrument, {k: (min(v), max(v)) for k, v in row.items() if k.endswith("_db")}, flush=True)

    lines = ["How far a note falls below its attack within 0.5 s of its onset (dB), per note of a partita-written",
             "MIDI file played by fluidsynth with FluidR3_GM: the bowed notes and the pizzicato notes (program 45),",
             "min / median / max over every second semitone of the instrument's comfortable range, and how many",
             "notes fall more than 30 dB and more than 20 dB.", ""]  # fmt: skip
    for how, what in (("dry", "reverb and chorus off"), ("default", "fluidsynth's defaults, reverb and chorus on")):
        lines += [f"## {how}: {what}", "", "| instrument | pitches | bowed: min / median / max | pizzicato: min / median / max "
                  "| pizzicato > 30 dB | pizzicato > 20 dB | bowed > 10 dB |", "|---|---|---|---|---|---|---|"]  # fmt: skip
        for instrument, row in data["instruments"].items():
            b, p = row[f"{how}_bowed_drop_db"], row[f"{how}_pizzicato_drop_db"]
            lines.append(f"| {instrument} | {row['pitches'][0]}-{row['pitches'][-1]} | {min(b)} / {np.median(b):.1f} / {max(b)} "
                         f"| {min(p)} / {np.median(p):.1f} / {max(p)} | {sum(x > 30 for x in p)} of {len(p)} "
                         f"| {sum(x > 20 for x in p)} of {len(p)} | {sum(x > 10 for x in b)} of {len(b)} |")  # fmt: skip
        lines.append("")
    write_results(args.out, data, lines, title="Pizzicato through MIDI: the fall of each note in fluidsynth's render")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
