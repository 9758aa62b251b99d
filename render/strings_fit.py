"""Fit a string model (:mod:`partita.render.strings`) to a soundfont's notes: analysis and least squares.

No gradient descent: every parameter of the model is measured on the soundfont's own notes and
the tables are fitted to the measurements by regularised least squares.

1. **Notes**: fluidsynth (pyfluidsynth, reverb and chorus off, 48 kHz) plays each pitch of a grid
   (every ``pitch_step`` semitones over the instrument's range) at each velocity of
   :data:`FIT_VELOCITIES`, held ``hold_s`` seconds and then released (:func:`render_notes`).
2. **Analysis of a note** (:func:`analyze_note`):

   * the peak RMS level (dB re a full-scale sine, 85 ms Hann window, the render's convention);
   * the partial frequencies: peaks of a long spectrum (the first second) found one by one
     around ``k f0 sqrt(1 + B k^2)``, with ``f0`` and ``B`` refitted after each peak by linear
     least squares of ``(f_k / k)^2 = f0^2 + f0^2 B k^2``;
   * each partial's amplitude over time, by demodulation at its frequency (Hann windows of
     4096 samples, 8192 below 80 Hz, every 10 ms); a straight line fitted to its dB envelope while
     the key is held gives its onset level (relative to the peak level) and its decay rate;
   * the release (dB/s after the note-off) from the sum of the partials' power;
   * the beating: the strongest modulation (0.3-6 Hz) of the first partials' envelopes around
     their straight lines gives the detuning of the strings, ``1200 df / (f_k ln 2)`` cents;
   * the hammer or pluck noise: the 20th percentile of the power in each of 17 bands of the
     first 21 ms (1024 samples), scaled so the synth's filtered noise of magnitude m reads m.
   * a modal instrument (the ``bars`` family: struck bars, tubes, the timpani) has no stiff-string
     prior: its modes are found first over all the notes (:func:`spectrum_peaks`,
     :func:`mode_template`: the ratios to the notes' pitches at which peaks recur from note to
     note, strongest first), then each note's peak nearest each mode (:func:`match_modes`); the
     envelopes, decays and noise are measured at those frequencies as above.
   * a vibraphone's motor (a ``bars`` instrument): the level of each note while held, every 5 ms
     (20 ms Hann windows), is fitted by a parabola plus one sinusoid of 2-10 Hz
     (:func:`partita.render.strings_motor.motor_of_note`); where the notes agree
     (:func:`~partita.render.strings_motor.measure_motor`: the same rate, the
     same phase at the onset, most of the level's wobble explained) the model gets that
     modulation of its level (:meth:`partita.render.strings.StringModel.note`).
3. **Tables** (:func:`fit_table`): each measurement becomes a row of bilinear interpolation
   weights over the (pitch, velocity) knots; least squares with a second-difference penalty
   along pitch (smooth registers) and a weak pull to a neutral value where no note informs a knot.

>>> fit_table(np.array([60.0, 72.0]), None, np.array([1.0, 3.0]), np.array([60.0, 72.0]), None).round(3).tolist()
[1.0, 3.0]
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from partita.errors import ConfigError
from partita.render.dataset import DataError, open_soundfont
from partita.render.strings import KIND, MODAL_FAMILIES, NOISE_TOP_HZ, TABLES, hat_weights

__all__ = ["FIT_VELOCITIES", "FAMILY_SETTINGS", "render_notes", "analyze_note", "fit_table", "fit_columns",
           "fit_tables", "fit_string_model"]  # fmt: skip

SR = 48000
#: Velocities the tables are fitted on (and their velocity knots).
FIT_VELOCITIES = (30, 55, 80, 105, 127)
#: Per family: partials, knot spacing (semitones), note grid step, hold and release (s), and the noise
#: decay (s) used until the fit chooses one (:data:`NOISE_TAUS_S`).
FAMILY_SETTINGS = {
    "piano": {"n_partials": 48, "knot_step": 6, "pitch_step": 3, "hold_s": 2.0, "tail_s": 0.8, "noise_tau_s": 0.015},
    "plucked": {"n_partials": 40, "knot_step": 6, "pitch_step": 3, "hold_s": 1.5, "tail_s": 0.6, "noise_tau_s": 0.008},
    # n_partials: at most this many modes (the template may find fewer)
    "bars": {"n_partials": 16, "knot_step": 6, "pitch_step": 3, "hold_s": 2.0, "tail_s": 1.0, "noise_tau_s": 0.008},
}
N_BANDS = 17
_HOP = 480  # 10 ms
_NOISE_FLOOR_DB = -90.0


# ---------------------------------------------------------------------------------------------
# Rendering the soundfont's notes


def render_notes(fs: Any, notes: Sequence[Sequence[tuple[int, int, float]]], *, hold_s: float, tail_s: float) -> list[np.ndarray]:
    """Render each chord (a list of (pitch, velocity, delay_s) notes, released together after
    ``hold_s``) to float64 mono audio at 48 kHz of ``hold_s + tail_s`` seconds; the synth is
    silenced between chords."""
    out = []
    block = 96  # 2 ms
    for chord in notes:
        events = sorted([(float(d), "on", p, v) for p, v, d in chord] + [(hold_s, "off", p, 0) for p, _, _ in chord])
        chunks = []
        n_blocks = int(math.ceil((hold_s + tail_s) * SR / block))
        i = 0
        for b in range(n_blocks):
            t = b * block / SR
            while i < len(events) and events[i][0] <= t + 1e-9:
                _, kind, p, v = events[i]
                fs.noteon(0, int(p), int(v)) if kind == "on" else fs.noteoff(0, int(p))
                i += 1
            chunks.append(np.asarray(fs.get_samples(block), np.float64).reshape(-1, 2).mean(axis=1) / 32768.0)
        fs.all_sounds_off(0)
        fs.get_samples(SR // 10)  # let the voices go
        out.append(np.concatenate(chunks))
    return out


# ---------------------------------------------------------------------------------------------
# Analysis


def _frames(x: np.ndarray, win: int, n_frames: int) -> np.ndarray:
    pad = np.pad(x, (win // 2, win))
    idx = np.arange(n_frames)[:, None] * _HOP + np.arange(win)[None, :]
    return pad[np.minimum(idx, len(pad) - 1)]


def level_curve(x: np.ndarray) -> np.ndarray:
    """RMS level (dB re a full-scale sine) every 10 ms, 85 ms Hann window centred on the frame."""
    w = np.hanning(4096)
    n = int(math.ceil(len(x) / _HOP))
    fr = _frames(x, 4096, n) * w
    rms = np.sqrt((fr**2).sum(axis=1) / (w**2).sum())
    return 20 * np.log10(np.maximum(rms * math.sqrt(2.0), 1e-6))


def _first_second(x: np.ndarray, off_s: float) -> tuple[np.ndarray, float]:
    """Magnitude spectrum of a note's first second (from 10 ms, at most to the note-off), Hann
    windowed and zero-padded to at least 2**17 points: (spectrum, Hz per bin)."""
    seg = x[int(0.01 * SR) : int(min(off_s, 1.0) * SR)]
    nfft = 1 << max(17, int(math.ceil(math.log2(4 * len(seg)))))
    return np.abs(np.fft.rfft(seg * np.hanning(len(seg)), nfft)), SR / nfft


def _peak_bin(spec: np.ndarray, j: int) -> float:
    """Bin ``j``'s peak position, refined by a parabola through the log magnitudes around it."""
    a, c, e = np.log(spec[j - 1 : j + 2] + 1e-30)
    return j + (0.5 * (a - e) / (a - 2 * c + e) if (a - 2 * c + e) < 0 else 0.0)


def find_partials(x: np.ndarray, midi: float, n_partials: int, *, off_s: float) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Partial frequencies of a note: (frequencies [K] Hz, f0, B, found [K] bool).

    Peaks of the spectrum of the first second (from 10 ms) searched around
    ``k f0 sqrt(1 + B k^2)``; ``f0`` and ``B`` refitted by least squares after each peak found.
    Partials not found sit at the fitted formula."""
    spec, binw = _first_second(x, off_s)
    f0n = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
    f0e, b = f0n, 0.0
    peak = spec.max()
    fk, kk = [], []
    found = np.zeros(n_partials, bool)
    freqs = np.zeros(n_partials)
    for k in range(1, n_partials + 1):
        pred = k * f0e * math.sqrt(1.0 + b * k * k)
        if pred > 0.45 * SR:
            break
        lo, hi = int((pred - 0.2 * f0n) / binw), int((pred + 0.2 * f0n) / binw) + 1
        lo, hi = max(lo, 1), min(hi, len(spec) - 2)
        if hi <= lo:
            continue
        j = lo + int(np.argmax(spec[lo:hi]))
        wide = spec[max(1, int((pred - 0.5 * f0n) / binw)) : int((pred + 0.5 * f0n) / binw) + 1]
        if spec[j] < peak * 1e-4 or spec[j] < 6.0 * np.median(wide) or j in (lo, hi - 1):
            continue
        fk.append(_peak_bin(spec, j) * binw)
        kk.append(k)
        found[k - 1] = True
        if len(kk) >= 3:
            ka = np.array(kk, np.float64)
            y = (np.array(fk) / ka) ** 2
            coef = np.linalg.lstsq(np.stack([np.ones_like(ka), ka**2], 1), y, rcond=None)[0]
            if coef[0] > 0:
                f0e, b = math.sqrt(coef[0]), max(0.0, coef[1] / coef[0])
        elif len(kk) == 1:
            f0e = fk[0] / kk[0]
    k_all = np.arange(1, n_partials + 1)
    freqs = k_all * f0e * np.sqrt(1.0 + b * k_all**2)
    freqs[found] = np.array(fk)
    return freqs, f0e, b, found


def spectrum_peaks(x: np.ndarray, *, off_s: float, floor_db: float = -60.0, max_peaks: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """The spectral peaks of a note's first second (from 10 ms, as :func:`find_partials`): (Hz,
    dB relative to the strongest), strongest first. A peak stands 6x above the median of the
    spectrum within a third of an octave, within ``floor_db`` of the strongest, and is the
    largest within max(4 Hz, 1.5 %) of it (a Hann window's side lobes and a vibrato's side bands
    are not modes)."""
    spec, binw = _first_second(x, off_s)
    peak = spec.max()
    if not peak > 0:
        return np.zeros(0), np.zeros(0)
    j = np.nonzero((spec[1:-1] > spec[:-2]) & (spec[1:-1] >= spec[2:]) & (spec[1:-1] > peak * 10 ** (floor_db / 20)))[0] + 1
    j = j[(j * binw > 20.0) & (j * binw < 0.45 * SR)]
    j = j[np.argsort(-spec[j])]
    hz, db = [], []
    for jj in j:
        f = _peak_bin(spec, jj) * binw
        if any(abs(f - g) < max(4.0, 0.015 * g) for g in hz):
            continue
        lo, hi = int(f / 2 ** (1 / 6) / binw), int(f * 2 ** (1 / 6) / binw) + 1
        if spec[jj] < 6.0 * np.median(spec[max(lo, 1) : hi]):
            continue
        hz.append(f)
        db.append(20 * math.log10(spec[jj] / peak))
        if len(hz) >= max_peaks:
            break
    return np.array(hz), np.array(db)


#: Peaks within this many semitones of a mode's ratio are that mode.
MODE_TOLERANCE_ST = 0.6


def mode_template(peaks: Sequence[tuple[float, np.ndarray, np.ndarray]], n_modes: int) -> np.ndarray:
    """The ratios (to the note's pitch; ascending) of up to ``n_modes`` modes that recur over the
    notes ``peaks`` = [(midi, peak Hz, peak dB re the note's strongest)]: a histogram of the
    peaks' log ratios (quarter-semitone bins, each peak weighted by how far it stands above -60
    dB), the strongest bin taken first and its neighbours within a semitone set aside, until a
    bin holds less than a tenth of the notes' weight of the strongest."""
    bins = np.arange(-2.0, 6.0, 1.0 / 48.0)  # log2 ratio, 0.25 .. 64
    hist = np.zeros(len(bins))
    sums = np.zeros(len(bins))
    for midi, hz, db in peaks:
        f0 = 440.0 * 2.0 ** ((midi - 69.0) / 12.0)
        r = np.log2(np.asarray(hz) / f0)
        w = np.clip((60.0 + np.asarray(db)) / 60.0, 0.0, 1.0)
        idx = np.clip(np.round((r - bins[0]) * 48.0).astype(int), 0, len(bins) - 1)
        np.add.at(hist, idx, w)
        np.add.at(sums, idx, w * r)
    smooth = np.convolve(hist, [1.0, 2.0, 1.0], mode="same")
    chosen: list[float] = []
    top = smooth.max()
    while len(chosen) < n_modes and top > 0:
        i = int(np.argmax(smooth))
        if smooth[i] < 0.05 * top:
            break
        near = slice(max(i - 2, 0), i + 3)
        chosen.append(float(sums[near].sum() / max(hist[near].sum(), 1e-12)))
        smooth[max(i - 4, 0) : i + 5] = 0.0
    return np.sort(2.0 ** np.array(chosen))


def match_modes(hz: np.ndarray, db: np.ndarray, f0: float, template: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each mode's frequency in one note: the strongest peak within :data:`MODE_TOLERANCE_ST` of
    ``f0 * template[k]`` (found), else that frequency. Returns (Hz [K], found [K] bool)."""
    freqs = f0 * np.asarray(template, np.float64)
    found = np.zeros(len(freqs), bool)
    used: set[int] = set()
    for k, want in enumerate(freqs):
        cents = np.abs(1200.0 * np.log2(np.maximum(hz, 1e-9) / want)) if len(hz) else np.zeros(0)
        cand = [i for i in np.nonzero(cents <= 100.0 * MODE_TOLERANCE_ST)[0] if i not in used]
        if cand:
            i = max(cand, key=lambda i: db[i])
            used.add(i)
            freqs[k] = hz[i]
            found[k] = True
    return freqs, found


def analyze_note(x: np.ndarray, *, midi: float, off_s: float, n_partials: int,
                 modes: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:  # fmt: skip
    """Measure one note rendered from time 0 and released at ``off_s`` (see the module docstring).

    Returns level_db, log10_b, amp_db [K] (relative to level_db; NaN above 0.45 x the sample
    rate), decay_db_s [K], release_db_s, detune_cents (NaN when no beating is measured) and
    noise_db [17] (relative to level_db). ``modes`` (frequencies [K] Hz, found [K]) measures a
    modal note's partials there (:func:`match_modes`) instead of a stiff string's, and adds
    ``ratio`` [K] (each found mode over the note's pitch; NaN where not found).
    """
    lc = level_curve(x)
    level = float(lc[: int(0.3 * SR / _HOP)].max())
    if modes is None:
        freqs, f0, b, found = find_partials(x, midi, n_partials, off_s=off_s)
    else:
        freqs, found = np.asarray(modes[0], np.float64), np.asarray(modes[1], bool)
        f0, b = 440.0 * 2.0 ** ((midi - 69.0) / 12.0), 0.0
    # about 8 periods (4096 samples at 94 Hz), 1024 to 8192 samples: partials resolved, the
    # attack of a high note not smeared
    win = int(min(8192, max(1024, 2 ** math.ceil(math.log2(8 * SR / f0)))))
    n = int(math.ceil(len(x) / _HOP))
    w = np.hanning(win)
    fr = (_frames(x, win, n) * w).astype(np.complex64)
    ok = freqs < 0.45 * SR
    ph = np.exp(-2j * np.pi * np.outer(np.arange(win) - win // 2, freqs[ok] / SR)).astype(np.complex64)
    env = np.full((n, n_partials), 1e-12)
    env[:, ok] = 2.0 * np.abs(fr @ ph) / w.sum()
    env_db = 20 * np.log10(np.maximum(env, 1e-12))
    t = np.arange(n) * _HOP / SR
    half = win / 2 / SR
    hold = (t >= half) & (t <= off_s - half)
    amp, decay, fast, fast_decay = (np.full(n_partials, np.nan) for _ in range(4))
    detunes = []
    strongest = env_db[hold].max() if hold.any() else -200.0
    for k in np.nonzero(ok)[0]:
        e = env_db[:, k]
        sel = hold & (e > _NOISE_FLOOR_DB) & (e > e[hold].max() - 60.0) if hold.any() else hold
        if sel.sum() < 5:
            amp[k], decay[k], fast[k], fast_decay[k] = _NOISE_FLOOR_DB - level, 60.0, _NOISE_FLOOR_DB - level, 60.0
            continue
        # the slow (aftersound) decay: a line through the held part from 0.4 s on
        late = sel & (t >= 0.4)
        late = late if late.sum() >= 10 else sel
        slope, icpt = np.polyfit(t[late], e[late], 1)
        amp[k] = min(icpt, e[sel].max() + 3.0) - level
        decay[k] = max(0.0, -slope)
        # the prompt decay: what the first 0.4 s hold above that line
        early = sel & (t < 0.4)
        resid = env[:, k] - 10.0 ** ((amp[k] + level - decay[k] * t) / 20.0)
        pos = early & (resid > 0.1 * env[:, k])
        if pos.sum() >= 3:
            fs_, fi = np.polyfit(t[pos], 20 * np.log10(resid[pos]), 1)
            fast[k] = min(fi, e[early].max() + 3.0) - level
            fast_decay[k] = max(-fs_, decay[k])
        else:
            fast[k], fast_decay[k] = _NOISE_FLOOR_DB - level, 60.0
        if k < 8 and e[sel].max() > strongest - 30.0 and late.sum() >= 60:
            r = e[late] - (icpt + slope * t[late])
            spec = np.abs(np.fft.rfft(r - r.mean(), 2048))
            fb = np.fft.rfftfreq(2048, _HOP / SR)
            band = (fb >= 0.3) & (fb <= 6.0)
            j = np.argmax(np.where(band, spec, 0.0))
            depth = 2.0 * spec[j] / late.sum()  # dB of the modulation
            if depth > 0.5:
                detunes.append(1200.0 * fb[j] / (freqs[k] * math.log(2.0)))
    # release: the partials' summed power after the note-off
    tot = 10 * np.log10(np.maximum((env[:, ok] ** 2).sum(axis=1), 1e-24))
    rel_sel = (t >= off_s + half + 0.01) & (t <= off_s + half + 0.4) & (tot > _NOISE_FLOOR_DB)
    release = float(max(0.0, -np.polyfit(t[rel_sel], tot[rel_sel], 1)[0])) if rel_sel.sum() >= 5 else math.nan
    # the hammer / pluck: 20th percentile of each band's power in the first 1024 samples
    from partita.render.strings_wash import band_noise_db, wash_of_note

    noise = band_noise_db(x[:1024], level_db=level, n_bands=N_BANDS, top_hz=NOISE_TOP_HZ, noise_cal=_NOISE_CAL)
    extra: dict[str, Any] = {}
    if modes is not None:  # a modal note: its modes' ratios, and the wash between them
        wash, wash_rate = wash_of_note(x, level_db=level, off_s=off_s, n_bands=N_BANDS, top_hz=NOISE_TOP_HZ,
                                       noise_cal=_NOISE_CAL)
        extra = {"ratio": np.where(found, freqs / f0, np.nan), "wash_db": wash, "wash_rate": wash_rate}
    return {"level_db": level, "log10_b": math.log10(max(b, 1e-7)), "amp_db": amp, "decay_db_s": decay,
            "fast_db": fast, "fast_decay_db_s": fast_decay,
            "release_db_s": release, "detune_cents": float(np.median(detunes)) if detunes else math.nan,
            "noise_db": noise, "f0_hz": f0, "found": found, **extra}  # fmt: skip


#: Mean power per bin (over a Hann window's sum of squares) of the synth's filtered noise of
#: magnitude 1 in every band: 1.12 (median of 13 windows x 15 bands; ``tests/test_strings.py``).
_NOISE_CAL = 1.12


# ---------------------------------------------------------------------------------------------
# Tables


def _design(x_p: np.ndarray, x_v: np.ndarray | None, pk: np.ndarray, vk: np.ndarray | None) -> np.ndarray:
    nv = 1 if vk is None else len(vk)
    a = np.zeros((len(x_p), len(pk) * nv))
    for r in range(len(x_p)):
        i0, i1, wp = hat_weights(float(x_p[r]), pk)
        j0, j1, wv = (0, 0, 0.0) if vk is None else hat_weights(float(x_v[r]), vk)
        for i, a_i in ((i0, 1 - wp), (i1, wp)):
            for j, a_j in ((j0, 1 - wv), (j1, wv)):
                a[r, i * nv + j] += a_i * a_j
    return a


def fit_table(x_p: np.ndarray, x_v: np.ndarray | None, y: np.ndarray, pk: np.ndarray, vk: np.ndarray | None, *,
              smooth: float = 0.05, neutral: float = 0.0, pull: float = 1e-4) -> np.ndarray:  # fmt: skip
    """Least-squares table over pitch knots ``pk`` (and velocity knots ``vk``) whose bilinear
    interpolation fits ``y`` at (``x_p``, ``x_v``); NaN measurements are left out.

    ``smooth`` weighs a second-difference penalty along pitch; ``pull`` a weak pull towards
    ``neutral`` (so knots no measurement reaches get a value). Returns [P] or [P, V]."""
    nv = 1 if vk is None else len(vk)
    keep = np.isfinite(y)
    a = _design(np.asarray(x_p)[keep], None if x_v is None else np.asarray(x_v)[keep], pk, vk)
    rows, rhs = [a], [np.asarray(y)[keep]]
    npk = len(pk)
    if npk >= 3:
        d2 = np.zeros(((npk - 2) * nv, npk * nv))
        for i in range(npk - 2):
            for j in range(nv):
                for o, c in ((0, 1.0), (1, -2.0), (2, 1.0)):
                    d2[i * nv + j, (i + o) * nv + j] = c
        rows.append(math.sqrt(smooth) * d2)
        rhs.append(np.zeros(len(d2)))
    rows.append(math.sqrt(pull) * np.eye(npk * nv))
    rhs.append(np.full(npk * nv, math.sqrt(pull) * neutral))
    theta = np.linalg.lstsq(np.concatenate(rows), np.concatenate(rhs), rcond=None)[0]
    return theta if vk is None else theta.reshape(npk, nv)


def fit_columns(measurements: Sequence[Mapping[str, Any]], name: str, *, pitch_knots: np.ndarray,
                velocity_knots: np.ndarray, neutral: float) -> np.ndarray:  # fmt: skip
    """A [pitch knots, velocity knots, K] table of a per-note measurement ``name`` of K values
    (a partial's or a band's each), one :func:`fit_table` per column."""
    m = np.array([r["midi"] for r in measurements], np.float64)
    v = np.array([r["velocity"] for r in measurements], np.float64)
    ys = np.stack([np.asarray(r[name], np.float64) for r in measurements])
    return np.stack([fit_table(m, v, ys[:, k], pitch_knots, velocity_knots, neutral=neutral) for k in range(ys.shape[1])], axis=-1)


def fit_tables(measurements: Sequence[Mapping[str, Any]], *, pitch_knots: np.ndarray, velocity_knots: np.ndarray,
               n_partials: int, template: np.ndarray | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Every table of :data:`partita.render.strings.TABLES` from per-note measurements (each with
    ``midi`` and ``velocity`` besides :func:`analyze_note`'s fields); with a mode ``template``
    (a modal model) also ``ratio``, each mode's measured ratios fitted along pitch and pulled to
    the template's where no note found the mode."""
    m = np.array([r["midi"] for r in measurements], np.float64)
    v = np.array([r["velocity"] for r in measurements], np.float64)
    pk, vk = np.asarray(pitch_knots, np.float64), np.asarray(velocity_knots, np.float64)
    out: dict[str, np.ndarray] = {}
    neutral = {"log10_b": -4.0, "detune_cents": 1.0, "release_db_s": 60.0, "level_db": -20.0}
    for name in ("log10_b", "detune_cents", "release_db_s"):
        out[name] = fit_table(m, None, np.array([r[name] for r in measurements], np.float64), pk, None, neutral=neutral[name])
    out["detune_cents"] = np.clip(out["detune_cents"], 0.0, 4.0)
    out["release_db_s"] = np.maximum(out["release_db_s"], 5.0)
    out["level_db"] = fit_table(m, v, np.array([r["level_db"] for r in measurements]), pk, vk, neutral=-20.0)
    for name, neutral_v in (("amp_db", -60.0), ("decay_db_s", 20.0), ("fast_db", -60.0), ("fast_decay_db_s", 40.0),
                            ("noise_db", -60.0)):  # fmt: skip
        out[name] = fit_columns(measurements, name, pitch_knots=pk, velocity_knots=vk, neutral=neutral_v)
    out["decay_db_s"] = np.maximum(out["decay_db_s"], 0.0)
    out["fast_decay_db_s"] = np.maximum(out["fast_decay_db_s"], out["decay_db_s"])
    if template is not None:
        ys = np.stack([np.asarray(r["ratio"], np.float64) for r in measurements])
        out["ratio"] = np.stack([fit_table(m, None, ys[:, k], pk, None, neutral=float(template[k]), pull=1e-2)
                                 for k in range(n_partials)], axis=-1)  # fmt: skip
    assert set(out) == set(TABLES) | ({"ratio"} if template is not None else set())
    return {k: a.astype(np.float32) for k, a in out.items()}


# ---------------------------------------------------------------------------------------------
# The job


#: Candidates of the settings chosen by the spectral distance of renders of fitted notes.
DETUNE_SCALES = (0.0, 0.25, 1.0)
NOISE_TAUS_S = (0.008, 0.015, 0.03, 0.06, 0.12)


def choose_setting(model: Any, audio: Mapping[tuple[int, int], np.ndarray], *, family: str, key: str,
                   values: Sequence[float]) -> tuple[float, dict[str, float]]:  # fmt: skip
    """The value of config ``key`` among ``values`` whose renders of six fitted notes (velocity 80,
    spread over the range) are closest to the soundfont's by the multi-scale spectral loss at
    16 kHz (the renders get the reference's 16-bit floor). Returns (value, {value: mean loss})."""
    import dataclasses

    import torch
    from scipy.signal import resample_poly

    from partita.render.neural_losses import spectral_loss

    st = FAMILY_SETTINGS[family]
    keys = [k for k in sorted(audio) if k[1] == 80]
    keys = [keys[i] for i in np.linspace(0, len(keys) - 1, min(6, len(keys))).astype(int)]
    refs = {k: resample_poly(audio[k], 1, 3) for k in keys}
    scores = {}
    for val in values:
        m = dataclasses.replace(model, config={**model.config, key: val})
        losses = []
        for p, v in keys:
            ref = audio[(p, v)]
            level = float(level_curve(ref)[:30].max())
            y = m.note(f0_hz=440.0 * 2 ** ((p - 69) / 12), velocity=v, level_db=level, on_s=0.0, off_s=st["hold_s"],
                       sample_rate=SR, seed=1, n_samples=len(ref)).astype(np.float64)  # fmt: skip
            y = y + (np.random.default_rng(1).random(len(y)) - 0.5) / 32768.0
            losses.append(float(spectral_loss(torch.from_numpy(resample_poly(y, 1, 3)[None]), torch.from_numpy(refs[(p, v)][None]))))
        scores[f"{val:g}"] = round(float(np.mean(losses)), 4)
    best = min(values, key=lambda val: scores[f"{val:g}"])
    return float(best), scores


def fit_grid(midi_range: tuple[int, int], family: str) -> list[tuple[int, int]]:
    """(pitch, velocity) of the notes the tables are fitted on: every ``pitch_step`` semitones
    from the bottom of the range (and the top note), at :data:`FIT_VELOCITIES`."""
    lo, hi = int(midi_range[0]), int(midi_range[1])
    step = FAMILY_SETTINGS[family]["pitch_step"]
    pitches = sorted(set(range(lo, hi + 1, step)) | {hi})
    return [(p, v) for p in pitches for v in FIT_VELOCITIES]


def fit_string_model(*, soundfont: str | os.PathLike[str], name: str, program: int, family: str,
                     midi_range: tuple[int, int], log: Callable[[str], None] | None = None, bank: int = 0) -> dict[str, Any]:  # fmt: skip
    """Render, analyse and fit. Returns ``{"config", "arrays", "n_notes", "fit_rmse_db", "seconds_audio", "preset"}``
    (``preset``: the name the soundfont gives the program it fitted)."""
    if family not in FAMILY_SETTINGS:
        raise ConfigError(f"string-model family {family!r} is not one of {', '.join(FAMILY_SETTINGS)}")
    st = FAMILY_SETTINGS[family]
    say = log or (lambda s: None)
    grid = fit_grid(midi_range, family)
    fs, sfid = open_soundfont(soundfont, program, bank)
    preset = str(fs.sfpreset_name(sfid, int(bank), int(program)))
    try:
        audio = render_notes(fs, [[(p, v, 0.0)] for p, v in grid], hold_s=st["hold_s"], tail_s=st["tail_s"])
    finally:
        fs.delete()
    say(f"rendered {len(grid)} notes ({len(grid) * (st['hold_s'] + st['tail_s']):.0f} s of audio)")
    heard = [(pv, x) for pv, x in zip(grid, audio) if np.abs(x).max() >= 1e-4]
    if len(heard) < 2:
        raise DataError(f"only {len(heard)} audible note(s) of program {program} (bank {bank})", file=str(soundfont))
    n_partials = st["n_partials"]
    template = None
    if family in MODAL_FAMILIES:
        peaks = {pv: spectrum_peaks(x, off_s=st["hold_s"]) for pv, x in heard}
        template = mode_template([(p, *peaks[(p, v)]) for (p, v), _ in heard], st["n_partials"])
        if len(template) == 0:
            raise DataError(f"no recurring spectral peaks in {len(heard)} notes of program {program} (bank {bank})",
                            file=str(soundfont))  # fmt: skip
        n_partials = len(template)
        say(f"{n_partials} modes at ratios {', '.join(f'{r:.3g}' for r in template)} to the pitch")
    meas = []
    for (p, v), x in heard:
        modes = None
        if template is not None:
            modes = match_modes(*peaks[(p, v)], 440.0 * 2.0 ** ((p - 69.0) / 12.0), template)
        r = analyze_note(x, midi=p, off_s=st["hold_s"], n_partials=n_partials, modes=modes)
        r.update(midi=float(p), velocity=float(v))
        meas.append(r)
    lo, hi = int(midi_range[0]), int(midi_range[1])
    pk = np.unique(np.r_[np.arange(lo, hi, st["knot_step"]), hi]).astype(np.float64)
    vk = np.array(FIT_VELOCITIES, np.float64)
    arrays = fit_tables(meas, pitch_knots=pk, velocity_knots=vk, n_partials=n_partials, template=template)
    from partita.render.strings import StringModel

    model = StringModel(config={"family": family, "pitch_knots": pk.tolist(), "velocity_knots": vk.tolist(),
                                "n_partials": n_partials, "n_bands": N_BANDS, "noise_tau_s": st["noise_tau_s"]}, arrays=arrays)
    errs = []
    for r in meas:
        pred = model.params(r["midi"], r["velocity"])["amp_db"]
        ok = np.isfinite(r["amp_db"]) & (r["amp_db"] > np.nanmax(r["amp_db"]) - 40.0)
        errs.append(pred[ok] - r["amp_db"][ok])
    rmse = float(np.sqrt(np.mean(np.concatenate(errs) ** 2)))
    shape = (f"mode ratios {arrays['ratio'].min():.3g}-{arrays['ratio'].max():.3g}" if template is not None
             else f"B {10 ** arrays['log10_b'].min():.1e}-{10 ** arrays['log10_b'].max():.1e}")  # fmt: skip
    say(f"fitted {len(meas)} notes (onset levels within {rmse:.1f} dB RMS): {shape}, "
        f"detune {arrays['detune_cents'].min():.2f}-{arrays['detune_cents'].max():.2f} cents")  # fmt: skip
    # the strings' detuning: the measured envelopes already hold the samples' own beating, so
    # the scale of the measured detune is chosen by the spectral distance of renders of fitted notes
    by_note = dict(zip(grid, audio))
    scale, scores = (choose_setting(model, by_note, family=family, key="detune_scale", values=DETUNE_SCALES)
                     if family == "piano" else (0.0, {}))  # fmt: skip
    say(f"detune scale {scale:g} (spectral distance by scale: {scores})")
    model = StringModel(config={**model.config, "detune_scale": scale}, arrays=arrays)
    tau, tau_scores = choose_setting(model, by_note, family=family, key="noise_tau_s", values=NOISE_TAUS_S)
    say(f"noise time constant {tau:g} s (spectral distance: {tau_scores})")
    config = {"instrument": name, "family": family, "detune_scale": scale, "detune_scores": scores, "program": int(program), "bank": int(bank), "soundfont": Path(soundfont).name, "n_partials": st["n_partials"],
              "n_bands": N_BANDS, "pitch_knots": pk.tolist(), "velocity_knots": vk.tolist(),
              "noise_tau_s": tau, "noise_tau_scores": tau_scores, "midi_range": [lo, hi], "kind": KIND}  # fmt: skip
    config["n_partials"] = n_partials
    if template is not None:
        config["mode_template"] = [round(float(r), 5) for r in template]
        from partita.render.strings_motor import measure_motor

        motor = measure_motor([x for _, x in heard], off_s=st["hold_s"])
        if motor is not None:
            config["motor"] = motor
            say(f"motor: {motor['rate_hz']:g} Hz, {motor['depth_db']:g} dB, phase {motor['phase']:g} at the onset")
        from partita.render.strings_wash import OFF_DB, fit_wash

        wash_rate = fit_wash(meas)
        if wash_rate is not None:
            arrays["wash_db"] = fit_columns(meas, "wash_db", pitch_knots=pk, velocity_knots=vk, neutral=OFF_DB).astype(np.float32)
            config["wash_decay_db_s"] = wash_rate
            say(f"wash: {wash_rate:g} dB/s, up to {float(arrays['wash_db'].max()):.1f} dB re the level at 0.3 s")
    return {"config": config, "arrays": arrays, "n_notes": len(meas), "preset": preset, "fit_rmse_db": rmse, "seconds_audio": len(grid) * (st["hold_s"] + st["tail_s"])}
