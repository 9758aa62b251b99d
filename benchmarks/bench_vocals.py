"""Sung vocals measured with Praat (praat-parselmouth) as the independent reference.

Writes benchmarks/results/vocals.json and vocals.md, whole:

* pitch of sustained sung notes (six voices, three pitches each): median error in cents;
* F1/F2 of /ɑ/ /i/ /u/ /æ/ /ɛ/ /ɔ/ for tenor and soprano at several pitches, against the
  published ranges (Hillenbrand et al. 1995 and Peterson & Barney 1952 means, +-10 %; see
  tests/praat_reference.py);
* /s/ high-band (> 4 kHz) energy share against its vowel's;
* vowel onsets against the notated beat (voiceless onsets, Praat voicing);
* render cost per second of audio of a sung stem next to an instrument stem (flute, the decoder
  the renderer picks: its shipped neural one) of the same notes, one thread, best of 3.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 nice .venv/bin/python benchmarks/bench_vocals.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import praat_reference as pr  # noqa: E402
from _results import write_results  # noqa: E402  (benchmarks/ is sys.path[0] when a benchmark runs)

from partita.render.settings import RenderSettings
from partita.render.stems import render_part  # noqa: E402
from partita.symbolic.score import Note, Part, Score  # noqa: E402

SR = 24000


def _sing(instrument: str, notes, sr: int = SR) -> np.ndarray:
    p = Part("v", instrument, instrument, notes=tuple(notes))
    return render_part(p, Score(parts=(p,)), RenderSettings(sample_rate=sr))[0]


def pitch_rows() -> list[dict]:
    rows = []
    for voice, pitches in (("soprano", (62, 67, 74)), ("alto", (55, 60, 67)), ("tenor", (50, 57, 64)),
                           ("baritone", (47, 53, 60)), ("bass", (43, 48, 55))):  # fmt: skip
        for pitch in pitches:
            a = _sing(voice, [Note(1, 4, pitch, lyric="ah")])
            c = pr.pitch_cents(a, SR, 0.8, 2.3, pitch)
            rows.append({"voice": voice, "midi": pitch, "median_error_cents": round(float(np.nanmedian(c)), 2),
                         "median_abs_cents_with_vibrato": round(float(np.nanmedian(np.abs(c))), 2),
                         "voiced_fraction": round(float(np.isfinite(c).mean()), 3)})  # fmt: skip
    return rows


def formant_rows() -> list[dict]:
    rows = []
    for voice, pitches in (("tenor", (50, 55, 57, 60)), ("soprano", (60, 62, 64, 67))):
        for pitch in pitches:
            for vowel in ("AA", "IY", "UW", "AE", "EH", "AO"):
                a = _sing(voice, [Note(1, 4, pitch, lyric=pr.WORD[vowel])])
                f1, f2 = pr.formants(a, SR, 1.1, 2.1, voice=voice)
                (l1, h1), (l2, h2) = pr.published_range(vowel, voice)
                rows.append({"voice": voice, "midi": pitch, "vowel": pr.IPA[vowel], "word": pr.WORD[vowel],
                             "f1_hz": round(f1), "f2_hz": round(f2), "f1_range": [round(l1), round(h1)],
                             "f2_range": [round(l2), round(h2)], "in_range": bool(l1 <= f1 <= h1 and l2 <= f2 <= h2)})  # fmt: skip
    return rows


def fricative_rows() -> list[dict]:
    rows = []
    for voice, pitch in (("tenor", 57), ("soprano", 67), ("bass", 48)):
        a = _sing(voice, [Note(2, 4, pitch, lyric="see")])
        s = pr.high_band_share(a, SR, 0.9, 0.98)
        v = pr.high_band_share(a, SR, 1.2, 1.8)
        rows.append({"voice": voice, "s_share": round(s, 4), "vowel_share": round(v, 6), "ratio": round(s / v, 1)})
    return rows


WORDS = ["see", "two", "far", "sad", "tall", "caught", "fine", "shoe", "sing", "tea", "coat", "fast"]


def onset_rows() -> list[dict]:
    rows = []
    for voice, base in (("tenor", 55), ("soprano", 64)):
        notes = [Note(2 + 2 * i, 2, base + (i % 3) * 2, lyric=w) for i, w in enumerate(WORDS)]
        a = _sing(voice, notes)
        on = pr.voicing_onsets(a, SR)
        for i, w in enumerate(WORDS):
            beat = 0.5 * (2 + 2 * i)
            err = float(on[np.argmin(np.abs(on - beat))] - beat)
            rows.append({"voice": voice, "word": w, "beat_s": beat, "onset_error_ms": round(1000 * err, 1)})
    return rows


def cost_rows() -> list[dict]:
    # a 60-second line of quarter notes with words, sung (tenor) and played (flute, an octave up)
    words = ("hold the light and car ry me home through the long and qui et night").split()
    notes = [Note(i, 1, 55 + (i * 5) % 12, lyric=words[i % len(words)]) for i in range(120)]
    rows = []
    for instrument, shift in (("tenor", 0), ("flute", 17)):
        ns = [Note(n.onset, n.duration, n.pitch + shift, lyric=n.lyric) for n in notes]
        p = Part("x", instrument, instrument, notes=tuple(ns))
        s = Score(parts=(p,))
        render_part(p, s, RenderSettings(sample_rate=48000))  # compile, warm caches
        best_wall, best_cpu = 1e9, 1e9
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            a = render_part(p, s, RenderSettings(sample_rate=48000))
            best_wall, best_cpu = min(best_wall, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
        seconds = a.shape[1] / 48000
        rows.append({"stem": instrument, "audio_s": round(seconds, 2), "wall_s": round(best_wall, 3),
                     "cpu_s": round(best_cpu, 3), "cpu_s_per_audio_s": round(best_cpu / seconds, 4)})  # fmt: skip
    return rows


def main() -> int:
    t_all = time.perf_counter()
    pitch, formant, fric, onset, cost = pitch_rows(), formant_rows(), fricative_rows(), onset_rows(), cost_rows()
    elapsed = round(time.perf_counter() - t_all, 1)
    test_pitch = {"tenor": 55, "soprano": 60}
    at_test = [r for r in formant if r["midi"] == test_pitch[r["voice"]]]
    summary = {
        "pitch_worst_abs_median_error_cents": max(abs(r["median_error_cents"]) for r in pitch),
        "formants_in_range": f"{sum(r['in_range'] for r in formant)}/{len(formant)}",
        "formants_in_range_at_test_pitches": f"{sum(r['in_range'] for r in at_test)}/{len(at_test)}",
        "s_ratio_min": min(r["ratio"] for r in fric),
        "onset_worst_abs_error_ms": max(abs(r["onset_error_ms"]) for r in onset),
        "sung_over_instrument_cpu": round(cost[0]["cpu_s_per_audio_s"] / cost[1]["cpu_s_per_audio_s"], 2),
    }
    data = {"sample_rate": SR, "reference": "Praat via praat-parselmouth", "elapsed_s": elapsed, "summary": summary,
            "pitch": pitch, "formants": formant, "fricative_s": fric, "vowel_onsets": onset, "render_cost": cost}  # fmt: skip
    lines = [
        f"Renders at {SR} Hz (the cost rows at 48 kHz); {elapsed} s in all. Reference: Praat (praat-parselmouth).", "",
        "## Summary", "", "| measure | result | target |", "|---|---|---|",
        f"| pitch, sustained notes, worst median error | {summary['pitch_worst_abs_median_error_cents']} cents | <= 10 |",
        f"| F1 and F2 in the published range, tenor G3 and soprano C4 (the tests' pitches) | "
        f"{summary['formants_in_range_at_test_pitches']} | all |",
        f"| ... at all measured pitches (tenor D3-C4, soprano C4-G4) | {summary['formants_in_range']} | |",
        f"| /s/ high-band share over its vowel's, smallest | {summary['s_ratio_min']}x | >= 5x |",
        f"| vowel onset vs beat, worst | {summary['onset_worst_abs_error_ms']} ms | <= 50 |",
        f"| CPU per second of audio, sung / instrument | {summary['sung_over_instrument_cpu']}x | |", "",
        "## Pitch (Praat autocorrelation, 0.3-1.8 s into a 2 s \"ah\")", "",
        "| voice | MIDI | median error (cents) | median \\|error\\| incl. vibrato | voiced |", "|---|---|---|---|---|",
        *[f"| {r['voice']} | {r['midi']} | {r['median_error_cents']} | {r['median_abs_cents_with_vibrato']} | "
          f"{r['voiced_fraction']} |" for r in pitch],
        "", "## Formants (Praat Burg, ceiling 5000 Hz men / 5500 Hz women, median over 1 s)", "",
        "| voice | MIDI | vowel | word | F1 | F1 range | F2 | F2 range | in range |", "|---|---|---|---|---|---|---|---|---|",
        *[f"| {r['voice']} | {r['midi']} | /{r['vowel']}/ | {r['word']} | {r['f1_hz']} | {r['f1_range'][0]}-"
          f"{r['f1_range'][1]} | {r['f2_hz']} | {r['f2_range'][0]}-{r['f2_range'][1]} | "
          f"{'yes' if r['in_range'] else '**no**'} |" for r in formant],
        "", "## /s/ of \"see\" (energy share above 4 kHz, Praat spectrum)", "",
        "| voice | /s/ | vowel | ratio |", "|---|---|---|---|",
        *[f"| {r['voice']} | {r['s_share']} | {r['vowel_share']} | {r['ratio']} |" for r in fric],
        "", "## Vowel onsets (Praat voicing start vs the notated beat)", "",
        "| voice | word | error (ms) |", "|---|---|---|",
        *[f"| {r['voice']} | {r['word']} | {r['onset_error_ms']} |" for r in onset],
        "", "## Render cost (48 kHz, one thread, best of 3)", "",
        "| stem | audio (s) | wall (s) | CPU (s) | CPU s per audio s |", "|---|---|---|---|---|",
        *[f"| {r['stem']} | {r['audio_s']} | {r['wall_s']} | {r['cpu_s']} | {r['cpu_s_per_audio_s']} |" for r in cost],
        "",
    ]  # fmt: skip
    write_results("vocals", data, lines, title="Sung vocals, measured with Praat")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
