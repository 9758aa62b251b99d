"""The vibraphone's motor: what the modal models' notes do to their level while held, against the soundfont's.

For each shipped modal string model (the ``bars`` family: celesta, glockenspiel, vibraphone,
marimba, xylophone, tubular bells, timpani), fluidsynth renders the held-out notes of
``bench_string_models.py`` (pitches one semitone above the fitted grid, every 6 semitones, at
velocities 45 and 95; held 2 s, as in the fit) from the soundfont and program the model was fitted
on, and the model renders the same notes at each note's measured peak level (as that benchmark's
``trained`` candidate). On each note's level while held (``strings_motor.motor_of_note``: 20 ms Hann
windows every 5 ms, from 80 ms after the onset to 20 ms before the note-off, frames within 50 dB of
the loudest):

* ``soundfont motor`` / ``model motor``: :func:`partita.render.strings_motor.measure_motor` over the
  notes -- the modulation they share (rate, depth as the sinusoid's amplitude in dB, phase at the
  onset), or none;
* ``level error``: the mean over the notes of the mean absolute difference (dB) between the
  model's level and the soundfont's, frame by frame, after removing each note's mean difference
  (the peak level is matched, the decays are the fit's); for a model with a motor, also without it
  (``without motor``: the same model, its config's motor removed), which is the model as shipped
  before session 19.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_motor.py

writes ``benchmarks/results/motor.json`` and ``.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SR = 48000


def level_5ms(x: np.ndarray, off_s: float) -> np.ndarray:
    """The level ``motor_of_note`` fits (``strings_motor.held_level``), NaN outside its frames."""
    from partita.render.strings_motor import held_level

    _, level, keep = held_level(x, off_s=off_s)
    return np.where(keep, level, np.nan)


def level_error(y: np.ndarray, ref: np.ndarray, off_s: float) -> float:
    a, b = level_5ms(y, off_s), level_5ms(ref, off_s)
    d = a - b
    d = d[np.isfinite(d)]
    return float(np.mean(np.abs(d - d.mean()))) if d.size else float("nan")


def evaluate(name: str, path: Path) -> dict:
    from bench_string_models import VELOCITIES, held_out, level_250, source_of

    from partita.render.dataset import open_soundfont
    from partita.render.strings import StringModel
    from partita.render.strings_fit import FAMILY_SETTINGS, render_notes
    from partita.render.strings_motor import measure_motor

    model = StringModel.from_file(path)
    cfg = model.config
    st = FAMILY_SETTINGS[cfg["family"]]
    hold = st["hold_s"]
    lo, hi = cfg["midi_range"]
    plain = StringModel(config={k: v for k, v in cfg.items() if k != "motor"}, arrays=model.arrays)
    notes = [(p, v) for p in held_out(lo, hi) for v in VELOCITIES]
    fs, _ = open_soundfont(source_of(dict(cfg), SOUNDFONT), int(cfg["program"]), int(cfg.get("bank", 0)))
    try:
        refs = render_notes(fs, [[(p, v, 0.0)] for p, v in notes], hold_s=hold, tail_s=st["tail_s"])
    finally:
        fs.delete()
    made: dict[str, list[np.ndarray]] = {"model": [], "without motor": []}
    for (p, v), ref in zip(notes, refs):
        level = float(level_250(ref)[:15].max())
        for key, m in (("model", model), ("without motor", plain)):
            made[key].append(m.note(f0_hz=440.0 * 2 ** ((p - 69) / 12), velocity=v, level_db=level, on_s=0.0, off_s=hold,
                                    sample_rate=SR, seed=7, n_samples=len(ref)).astype(np.float64))  # fmt: skip
    out = {"weights_sha256": model.sha256, "notes": [list(n) for n in notes], "motor_config": cfg.get("motor"),
           "soundfont_motor": measure_motor(refs, off_s=hold), "model_motor": measure_motor(made["model"], off_s=hold),
           "level_error_db": round(float(np.nanmean([level_error(y, r, hold) for y, r in zip(made["model"], refs)])), 3)}  # fmt: skip
    if cfg.get("motor"):
        out["level_error_without_motor_db"] = round(float(np.nanmean([level_error(y, r, hold) for y, r in zip(made["without motor"], refs)])), 3)
    return out


def _motor(m: dict | None) -> str:
    return "none" if not m else f"{m['rate_hz']:g} Hz, {m['depth_db']:g} dB, phase {m['phase']:g}"


def main(argv: list[str] | None = None) -> int:
    manifest = json.loads((ROOT / "instruments" / "weights" / "manifest.json").read_text())
    names = [k for k, e in sorted(manifest.items()) if e.get("kind") == "string-model"]
    from partita.render.strings import StringModel

    results = {}
    for name in names:
        path = ROOT / "instruments" / "weights" / manifest[name]["file"]
        if StringModel.from_file(path).config["family"] != "bars":
            continue
        results[name] = evaluate(name, path)
        print(name, {k: v for k, v in results[name].items() if k != "notes"}, file=sys.stderr)
    md = ["Held-out notes (see the script's docstring) of each modal model and of the soundfont it was fitted on (FluidR3_GM).",
          "Motor: the modulation of the level the notes share (rate, depth = the sinusoid's amplitude, phase at the onset), or none.",
          "Level error: mean |model - soundfont| of the level (dB, 5 ms frames) while held, each note's mean difference removed.", "",
          "| instrument | notes | soundfont motor | model motor | level error, dB | without the motor, dB |",
          "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, r in results.items():
        md.append(f"| {name} | {len(r['notes'])} | {_motor(r['soundfont_motor'])} | {_motor(r['model_motor'])} | {r['level_error_db']} "
                  f"| {r.get('level_error_without_motor_db', '-')} |")  # fmt: skip
    cmd = "OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_motor.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_results("motor", {"soundfont": SOUNDFONT, "instruments": results}, md,
                  title="Modal models' level while held against the soundfont's (the vibraphone's motor)", command=cmd.strip())  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
