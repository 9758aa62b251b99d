"""The drum sampler measured: onsets against the score, choke, brightness by velocity, and the
distance of the sampled and the designed kit to the source soundfont's own render.

Usage::

    .venv/bin/python benchmarks/bench_drums.py [--out benchmarks/results/drums]

Everything is rendered at 48 kHz with the default kit (built from the default soundfont by
fluidsynth on first use; its folder and source are in the result).

* **onsets**: every kit key of ``drum_sampler.toml`` at velocities 40, 80 and 120, each hit
  rendered on its own (at beat 2, 2 1/3 or 2 2/3 of a 120 bpm score, seeds 7, 8, 9), with
  ``humanize`` 0 and 1. The onset is found in the stereo render without the sampler's help: its
  first sample above -60 dB re the render's peak. Expected: the tempo map's time, plus the
  humanisation drawn from the seed as documented in :mod:`partita.render.drum_sampler`. (How
  long each sample then takes to reach its peak is the recording's attack, not timing.)
* **choke**: an open hat alone, and the same open hat followed 0.3 s later by a closed (42) or
  pedal (44) hat; the open hat's energy left after the choke's fade (0.3 s + fade + 1 ms to 1.3 s,
  the second render minus the closing hat alone) against the open hat alone in that window.
* **brightness**: spectral centroid of the first 100 ms (and of the first 20 ms) of single hits
  at velocities 30, 60, 90, 127, from the sampler and from fluidsynth playing the soundfont
  directly.
* **distance to the source**: a two-bar groove as fluidsynth plays the soundfont (the same hits,
  times and velocities as a MIDI file) against the sampler (humanize 0) and the designed kit:
  mean absolute difference of log magnitude spectra (dB), over FFT sizes 2048, 1024, 512, 256
  (hop a quarter), both signals mono and aligned to their first onset.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction as F
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_results  # noqa: E402

from partita.render.controls import phrase_seed  # noqa: E402
from partita.render.drum_samples import default_kit, default_soundfont, fluidsynth_drums, layout  # noqa: E402
from partita.render.drum_sampler import render_drums  # noqa: E402
from partita.render.settings import RenderSettings  # noqa: E402
from partita.symbolic.score import Note, Part, Score  # noqa: E402
from partita.symbolic.timeline import TempoMap, TempoMark  # noqa: E402

SR = 48000


def _score(notes: list[Note], bpm: float = 60.0) -> Score:
    part = Part("dr", "Drums", "drum_kit", notes=tuple(sorted(notes, key=lambda n: (n.onset, n.pitch))))
    return Score(parts=(part,), tempo_map=TempoMap((TempoMark(F(0), bpm),)))


def _render(score: Score, n: int, **kw) -> np.ndarray:
    return render_drums(score.parts[0], score, RenderSettings(sample_rate=SR, **kw), n_samples=n)


def detect_onset(x: np.ndarray) -> float:
    """The first sample above -60 dB re the peak of a render holding one hit, s."""
    mono = np.abs(x).max(axis=0)
    return int(np.argmax(mono > 1e-3 * mono.max())) / SR


def onsets() -> dict:
    lay = layout()
    out = {}
    for humanize in (0.0, 1.0):
        errs, worst = [], (0.0, None)
        for key in sorted(lay.group):
            for j, v in enumerate((40, 80, 120)):
                seed = 7 + j
                note = Note(F(2) + F(j, 3), F(1, 3), key, velocity=v)
                x = _render(_score([note], bpm=120.0), int(2.5 * SR), seed=seed, humanize=humanize)
                dt = 0.0
                if humanize:  # the draw the module documents
                    rng = np.random.default_rng(phrase_seed(seed, "dr#humanize", note.onset, key))
                    dt = float(rng.standard_normal()) * lay.timing_sd_ms / 1000.0 * humanize
                want = float(note.onset) / 2.0 + dt  # 120 bpm: half a second a beat
                e = abs(detect_onset(x) - want) * 1000.0
                errs.append(e)
                worst = max(worst, (e, f"key {key} v{v}"), key=lambda w: w[0])
        out[f"humanize_{humanize:g}"] = {"hits": len(errs), "max_ms": round(max(errs), 3), "mean_ms": round(float(np.mean(errs)), 3),
                                         "within_1ms": int(sum(e <= 1.0 for e in errs)), "worst": worst[1]}  # fmt: skip
    return out


def choke() -> dict:
    fade = layout().choke_fade_ms / 1000.0
    n = int(1.5 * SR)
    open_alone = _render(_score([Note(F(0), F(1, 2), 46, velocity=110)], bpm=100.0), n)
    win = slice(int((0.3 + fade + 0.001) * SR), int(1.3 * SR))
    out = {}
    for closer in (42, 44):
        closing = _render(_score([Note(F(1, 2), F(1, 2), closer, velocity=110)], bpm=100.0), n)
        both = _render(_score([Note(F(0), F(1, 2), 46, velocity=110), Note(F(1, 2), F(1, 2), closer, velocity=110)],
                              bpm=100.0), n)  # fmt: skip
        left = float(np.sum((both - closing)[:, win] ** 2))
        alone = float(np.sum(open_alone[:, win] ** 2))
        out[str(closer)] = {"open_hat_energy_alone": alone, "left_after_choke": left,
                            "drop_db": None if left == 0 else round(10 * np.log10(alone / left), 1)}  # fmt: skip
    return out


def _centroid(x: np.ndarray, seconds: float = 0.1) -> float:
    seg = x[: int(seconds * SR)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size))) ** 2
    f = np.fft.rfftfreq(seg.size, 1.0 / SR)
    return float((spec * f).sum() / spec.sum())


def fluidsynth(score: Score, soundfont: Path, n: int) -> np.ndarray:
    return fluidsynth_drums(score.parts[0], score, soundfont, sample_rate=SR, n_samples=n)


def brightness(soundfont: Path) -> dict:
    out = {}
    for key in (36, 38, 42, 46, 49, 51, 45):
        rows = {}
        for v in (30, 60, 90, 127):
            score = _score([Note(F(0), F(1), key, velocity=v)])
            x = _render(score, SR).mean(axis=0)
            ref = fluidsynth(score, soundfont, SR)
            ref = ref[int(np.argmax(np.abs(ref) > 0.01 * np.abs(ref).max())) :]
            rows[str(v)] = {"sampler_hz": round(_centroid(x)), "fluidsynth_hz": round(_centroid(ref)),
                            "sampler_20ms_hz": round(_centroid(x, 0.02)), "fluidsynth_20ms_hz": round(_centroid(ref, 0.02))}
        out[str(key)] = rows
    return out


def _first_onset(x: np.ndarray) -> int:
    return int(np.argmax(np.abs(x) > 0.01 * np.abs(x).max()))


def log_spectral_distance_db(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.signal import stft

    x, y = x[_first_onset(x) :], y[_first_onset(y) :]
    n = min(x.size, y.size)
    d = []
    for size in (2048, 1024, 512, 256):
        _, _, a = stft(x[:n], nperseg=size, noverlap=3 * size // 4)
        _, _, b = stft(y[:n], nperseg=size, noverlap=3 * size // 4)
        d.append(float(np.mean(np.abs(20 * np.log10(np.abs(a) + 1e-5) - 20 * np.log10(np.abs(b) + 1e-5)))))
    return round(float(np.mean(d)), 2)


def groove() -> Score:
    notes = [Note(F(0), F(1, 2), 49, velocity=112, voice=2)]
    for e in range(16):
        q = F(e, 2)
        notes.append(Note(q, F(1, 2), 46 if e == 7 else 42, velocity=92 if e % 2 == 0 else 58))
        if e % 8 in (0, 3, 5):
            notes.append(Note(q, F(1, 2), 36, velocity=108))
        if e % 4 == 2:
            notes.append(Note(q, F(1, 2), 38, velocity=104))
    return _score(notes, bpm=104.0)


def distance(soundfont: Path) -> dict:
    score = groove()
    n = int((score.duration_seconds + 2.0) * SR)
    ref = fluidsynth(score, soundfont, n)
    return {
        "sampler_db": log_spectral_distance_db(_render(score, n).mean(axis=0), ref),
        "designed_db": log_spectral_distance_db(_render(score, n, drums="designed").mean(axis=0), ref),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="drums")
    args = ap.parse_args(argv)
    soundfont = default_soundfont()
    kit = default_kit()
    data = {"soundfont": str(soundfont), "kit": str(kit), "onsets": onsets(), "choke": choke(),
            "brightness": brightness(soundfont), "distance": distance(soundfont)}  # fmt: skip
    lines = [f"Kit built from `{soundfont.name}` by fluidsynth (`{kit.name}`); 48 kHz.", "",
             "## Onsets (every key at velocities 40/80/120, each hit rendered alone)", "",
             "| humanize | hits | within 1 ms | max error (ms) | mean error (ms) | worst |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name, r in data["onsets"].items():
        lines.append(f"| {name.split('_')[1]} | {r['hits']} | {r['within_1ms']} | {r['max_ms']} | {r['mean_ms']} | {r['worst']} |")
    lines += ["", "## Choke (open hat 46, closed at 0.3 s)", "", "| closing key | open-hat energy left after the fade | drop |",
              "|---|---|---|"]  # fmt: skip
    for k, r in data["choke"].items():
        drop = "all (exactly 0)" if r["drop_db"] is None else f"{r['drop_db']} dB"
        lines.append(f"| {k} | {r['left_after_choke']:.3g} of {r['open_hat_energy_alone']:.3g} | {drop} |")
    lines += ["", "## Spectral centroid of the first 100 ms (Hz): sampler / fluidsynth on the soundfont", "",
              "| key | v30 | v60 | v90 | v127 |", "|---|---|---|---|---|"]  # fmt: skip
    for k, rows in data["brightness"].items():
        lines.append(f"| {k} | " + " | ".join(f"{r['sampler_hz']} / {r['fluidsynth_hz']}" for r in rows.values()) + " |")
    lines += ["", "The same over the first 20 ms (the stroke itself, where a kick's or tom's beater sounds):", "",
              "| key | v30 | v60 | v90 | v127 |", "|---|---|---|---|---|"]  # fmt: skip
    for k, rows in data["brightness"].items():
        lines.append(f"| {k} | " + " | ".join(f"{r['sampler_20ms_hz']} / {r['fluidsynth_20ms_hz']}" for r in rows.values()) + " |")
    d = data["distance"]
    lines += ["", "## Distance to the soundfont's own render (two-bar groove, mean |log-spectrum difference|, dB)", "",
              f"| sampler | designed kit |", "|---|---|", f"| {d['sampler_db']} | {d['designed_db']} |", ""]  # fmt: skip
    write_results(args.out, data, lines, title="Drum sampler: onsets, choke, brightness by velocity, distance to source")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
