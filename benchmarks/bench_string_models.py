"""String models (piano, plucked) against the designed timbres and a sawtooth, on held-out notes.

For each instrument with a shipped string model (``instruments/weights/manifest.json``, kind
``string-model``), fluidsynth renders, from the same soundfont and program the model was fitted
on, notes the fit never saw: pitches one semitone above the fitted grid (every 6 semitones over
the range) at velocities 45 and 95 (the fit used 30, 55, 80, 105 and 127), held as long as in
the fit and released, plus three chords (piano: triads in three registers; plucked: strummed
chords with 15 ms between strings). Each is re-made three ways from the same MIDI (pitch, velocity,
note-on/off) and the same loudness, measured from the soundfont's own render of each note:

* ``trained``: the string model, given each note's peak RMS level;
* ``designed``: the designed timbre of the instrument (``timbres.timbre_for``), given each
  note's measured RMS level curve and the performer's brightness and noise curves for its style;
* ``sawtooth``: harmonics at ``1/k`` with the measured RMS level curve, no noise.

A chord is the sum of its notes rendered one by one. Each candidate is written to 16 bits with
dither as fluidsynth writes the reference (else the reference's -96 dB floor against digital
silence dominates the log-magnitude term in quiet frames). Score: DDSP's multi-scale spectral loss
(``neural_losses.spectral_loss``, FFT 2048...64, linear + log magnitudes) at 16 kHz against the
soundfont's render (lower is better), averaged over the notes and over the chords.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_string_models.py [--only piano ...] [--weights DIR]

writes ``benchmarks/results/string_models.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from _results import write_results  # benchmarks/ is sys.path[0] when a benchmark runs

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
VELOCITIES = (45, 95)
CHORDS = {
    "piano": [[(48, 0.0), (52, 0.0), (55, 0.0)], [(60, 0.0), (64, 0.0), (67, 0.0), (72, 0.0)], [(79, 0.0), (84, 0.0), (88, 0.0)]],
}
#: strums (downstrokes, 15 ms a string): E major and A minor open shapes, C major
_STRUMS = [[40, 47, 52, 56, 59, 64], [45, 52, 57, 60, 64], [48, 52, 55, 60, 64]]


def held_out(lo: int, hi: int) -> list[int]:
    return [p for p in range(lo + 1, hi + 1, 6) if p <= hi]


def chords_for(family: str, lo: int, hi: int) -> list[list[tuple[int, float]]]:
    if family == "piano":
        return CHORDS["piano"]
    out = []
    for shape in _STRUMS:
        shift = 0
        while min(shape) + shift < lo:
            shift += 12
        while max(shape) + shift > hi and min(shape) + shift - 12 >= lo:
            shift -= 12
        notes = [p + shift for p in shape if lo <= p + shift <= hi]
        out.append([(p, 0.015 * i) for i, p in enumerate(notes)])
    return out


def level_250(x: np.ndarray) -> np.ndarray:
    """RMS level (dB) at 250 frames/s (the render's control rate) from the 10 ms level curve."""
    from partita.render.strings_fit import level_curve

    lc = level_curve(x)
    t10 = np.arange(len(lc)) * 0.01
    t4 = np.arange(int(len(x) / 192) + 1) / 250.0
    return np.interp(t4, t10, lc)


def designed_note(decoder, style, pitch: int, loud: np.ndarray, on_s: float, n: int) -> np.ndarray:
    from partita.render.controls import ControlCurves
    from partita.render.synth import synthesize

    t = np.arange(len(loud)) / 250.0
    age = np.maximum(t - on_s, 0.0)
    bright = np.clip(style.brightness - style.brightness_decay * (1 - np.exp(-age / 0.4)), 0, 1)
    noise = np.clip(style.attack_noise * np.exp(-age / 0.03), 0, 1)
    loud = np.where(t < on_s, -120.0, np.maximum(loud, -120.0))
    c = ControlCurves(part_id="x", voice=1, start_frame=0, frame_rate=250.0, f0_hz=np.full(len(t), 440.0 * 2 ** ((pitch - 69) / 12)),
                      loudness_db=loud, brightness=bright, noise=noise, seed=7)  # fmt: skip
    y = synthesize(decoder.decode(c, sample_rate=48000), sample_rate=48000)[0]
    return np.pad(y, (0, max(0, n - len(y))))[:n].astype(np.float64)


def saw_note(pitch: int, loud: np.ndarray, on_s: float, n: int) -> np.ndarray:
    from partita.render.controls import SynthParams
    from partita.render.synth import synthesize

    t = np.arange(len(loud)) / 250.0
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    k = np.arange(1, 61)
    d = np.where(k * f0 < 0.45 * 48000, 1.0 / k, 0.0)
    d = d / d.sum()
    amp = np.where(t < on_s, 0.0, 10 ** (np.maximum(loud, -120.0) / 20) / np.sqrt((d**2).sum()))
    p = SynthParams(f0_hz=np.full(len(t), f0), amplitude=amp, harmonic_distribution=np.tile(d, (len(t), 1)),
                    noise_magnitudes=np.zeros((len(t), 17)), start_frame=0, frame_rate=250.0, seed=7)  # fmt: skip
    y = synthesize(p, sample_rate=48000)[0]
    return np.pad(y, (0, max(0, n - len(y))))[:n].astype(np.float64)


def as_16bit(y: np.ndarray, seed: int) -> np.ndarray:
    """What the soundfont's render went through: fluidsynth writes 16-bit stereo with dither
    (its noise floor, about -96 dB, is in every reference); each candidate gets the same, two
    channels with independent triangular dither of 1 LSB, averaged to mono."""
    rng = np.random.default_rng(seed)
    ch = [np.round(y * 32768.0 + rng.random(len(y)) - rng.random(len(y))) for _ in range(2)]
    return np.clip((ch[0] + ch[1]) / 2.0, -32768, 32767) / 32768.0


def loss16(y48: np.ndarray, ref48: np.ndarray) -> float:
    import torch
    from scipy.signal import resample_poly

    from partita.render.neural_losses import spectral_loss

    a = resample_poly(y48, 1, 3)
    b = resample_poly(ref48, 1, 3)
    return float(spectral_loss(torch.from_numpy(a[None]), torch.from_numpy(b[None])))


def source_of(cfg: dict, default: str) -> str:
    """The soundfont a model was fitted on (its config names the file; models fitted before
    session 10 do not, and were fitted on the default, FluidR3_GM)."""
    name = cfg.get("soundfont")
    if not name:
        return default
    for folder in ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3", str(Path(default).parent)):
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    raise SystemExit(f"soundfont {name} (that {cfg.get('instrument')} was fitted on) is not installed")


def evaluate(name: str, path: Path, soundfont: str) -> dict:
    from partita.render.performance import STYLES
    from partita.render.strings import StringModel
    from partita.render.dataset import open_soundfont
    from partita.render.strings_fit import FAMILY_SETTINGS, render_notes
    from partita.render.techniques import TECHNIQUES
    from partita.render.timbres import TIMBRES, style_of, timbre_for

    model = StringModel.from_file(path)
    cfg = model.config
    fam = cfg["family"]
    st = FAMILY_SETTINGS[fam]
    lo, hi = cfg["midi_range"]
    technique = cfg.get("technique")  # a technique's model: its designed fallback (render/techniques.py)
    designed = TIMBRES[TECHNIQUES[technique]] if technique else timbre_for(name)
    style = STYLES[TECHNIQUES[technique] if technique else style_of(name)]
    soundfont = source_of(cfg, soundfont)
    fs, _ = open_soundfont(soundfont, int(cfg["program"]), int(cfg.get("bank", 0)))
    items = [("note", [(p, v, 0.0)]) for p in held_out(lo, hi) for v in VELOCITIES]
    items += [("chord", [(p, 70, d) for p, d in ch]) for ch in chords_for(fam, lo, hi)]
    refs = render_notes(fs, [it[1] for it in items], hold_s=st["hold_s"], tail_s=st["tail_s"])
    solo_cache: dict[tuple, np.ndarray] = {}
    rows = []
    for (kind, notes), ref in zip(items, refs):
        n = len(ref)
        ys = {"trained": np.zeros(n), "designed": np.zeros(n), "sawtooth": np.zeros(n)}
        for p, v, d in notes:
            key = (p, v)
            if key not in solo_cache:
                solo_cache[key] = render_notes(fs, [[(p, v, 0.0)]], hold_s=st["hold_s"], tail_s=st["tail_s"])[0]
            solo = np.r_[np.zeros(int(round(d * 48000))), solo_cache[key]][:n]
            loud = level_250(solo)
            level = float(loud[int(d * 250) : int(d * 250) + 15].max())
            ys["trained"] += model.note(f0_hz=440.0 * 2 ** ((p - 69) / 12), velocity=v, level_db=level, on_s=d,
                                        off_s=st["hold_s"], sample_rate=48000, seed=7, n_samples=n)  # fmt: skip
            ys["designed"] += designed_note(designed, style, p, loud, d, n)
            ys["sawtooth"] += saw_note(p, loud, d, n)
        scores = {k: round(loss16(as_16bit(y, 11), ref), 4) for k, y in ys.items()}
        rows.append({"kind": kind, "notes": [[p, v, d] for p, v, d in notes], **scores})
    fs.delete()
    out = {"family": fam, "program": cfg["program"], "bank": int(cfg.get("bank", 0)), "soundfont": Path(soundfont).name,
           "weights_sha256": model.sha256, "items": rows}  # fmt: skip
    for kind in ("note", "chord"):
        sel = [r for r in rows if r["kind"] == kind]
        for m in ("trained", "designed", "sawtooth"):
            out[f"{kind}_{m}"] = round(float(np.mean([r[m] for r in sel])), 4) if sel else None
        out[f"{kind}_trained_lowest"] = f"{sum(r['trained'] < min(r['designed'], r['sawtooth']) for r in sel)}/{len(sel)}"
    return out


def render_cost(instrument: str, *, stems_score: bool = False) -> dict:
    """CPU seconds to render 32 bars of 4/4 at 120 bpm (64 s) of quarter-note triads plus a
    melody in eighths (640 notes) through ``render_part``, string model against designed timbre
    (each after one warm-up render); with ``stems_score``, the instrument's part of
    ``bench_render_stems.build_score()`` instead."""
    from fractions import Fraction as F

    from partita.render.settings import RenderSettings
    from partita.render.stems import render_part
    from partita.render.neural_infer import decoder_for
    from partita.render.timbres import timbre_for
    from partita.symbolic.score import Note, Part, Score

    notes = []
    for beat in range(128):
        root = 48 + (0, 5, 7, 3)[(beat // 8) % 4]
        notes += [Note(F(beat), F(1), root + i) for i in (0, 4, 7)]
        notes += [Note(F(beat) + F(j, 2), F(1, 2), 72 + (beat + j) % 5, voice=2) for j in (0, 1)]
    part = Part("p", instrument, instrument, notes=tuple(notes))
    score = Score(parts=(part,))
    if stems_score:  # the piano part of the render benchmark's score
        import bench_render_stems

        score = bench_render_stems.build_score()
        part = next(p for p in score.parts if p.instrument == instrument)
    out = {}
    for label, dec in (("trained", decoder_for(instrument)), ("designed", timbre_for(instrument))):
        render_part(part, score, RenderSettings(), decoder=dec)
        t0 = time.process_time()
        render_part(part, score, RenderSettings(), decoder=dec)
        out[f"{label}_cpu_s"] = round(time.process_time() - t0, 2)
    out["notes"] = len(part.notes)
    out["ratio"] = round(out["trained_cpu_s"] / out["designed_cpu_s"], 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--weights", default=str(ROOT / "instruments" / "weights"))
    ap.add_argument("--soundfont", default=SOUNDFONT)
    ap.add_argument("--out", default="string_models")
    args = ap.parse_args(argv)
    wdir = Path(args.weights)
    manifest = json.loads((wdir / "manifest.json").read_text())
    names = [k for k, e in sorted(manifest.items()) if e.get("kind") == "string-model" and (not args.only or k in args.only)]
    results = {}
    t0 = time.process_time()
    for name in names:
        results[name] = evaluate(name, wdir / manifest[name]["file"], args.soundfont)
        r = results[name]
        print(name, {k: v for k, v in r.items() if k != "items"}, file=sys.stderr)
    md = ["Multi-scale spectral loss at 16 kHz against the source soundfont's render of the same MIDI (FluidR3_GM; MuseScore_General",
          "for the pizzicato models, whose designed row is the designed plucked timbre they fall back to) (lower is better);",
          "held-out pitches and velocities (see the script's docstring). `lowest` = items where the trained model",
          "scores below both others.", "",
          "| instrument | family | notes: trained | designed | sawtooth | trained lowest | chords: trained | designed | sawtooth | trained lowest |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, r in results.items():
        md.append(f"| {name} | {r['family']} | {r['note_trained']} | {r['note_designed']} | {r['note_sawtooth']} | {r['note_trained_lowest']} "
                  f"| {r['chord_trained']} | {r['chord_designed']} | {r['chord_sawtooth']} | {r['chord_trained_lowest']} |")  # fmt: skip
    cost = {inst: render_cost(inst) for inst in ("piano", "acoustic_guitar") if inst in results}
    if "piano" in results:
        cost["piano in bench_render_stems"] = render_cost("piano", stems_score=True)
    if cost:
        md += ["", "Render cost: CPU seconds to render a part through `render_part` at 48 kHz, one thread, after a",
               "warm-up render: a 64-second part of 640 notes (quarter-note triads and an eighth-note melody), and",
               "the piano part (1,260 notes, 210 s) of the render benchmark's 8-part score (`bench_render_stems.py`).", "",
               "| part | notes | string model CPU s | designed CPU s | ratio |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
        md += [f"| {k} | {v['notes']} | {v['trained_cpu_s']} | {v['designed_cpu_s']} | {v['ratio']} |" for k, v in cost.items()]
    md += ["", f"CPU time of the benchmark: {time.process_time() - t0:.0f} s."]
    cmd = "OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_string_models.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_results(args.out, {"soundfont": args.soundfont, "velocities": VELOCITIES, "instruments": results, "render_cost": cost}, md,
                  title="String models against designed timbres and a sawtooth", command=cmd.strip())  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
