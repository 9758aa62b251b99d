"""Training data for neural decoders: audio in, frame-rate controls and targets out.

Two sources, one analysis path:

* a **soundfont** (FluidR3_GM, MIT) rendered through fluidsynth (pyfluidsynth): isolated notes
  over the instrument's range at several velocities and durations, and legato phrases with
  vibrato (pitch bend) and crescendi (expression, CC 11) -- :func:`render_soundfont`;
* a **folder of the user's own monophonic recordings** (wav, flac, ogg, aiff; any sample
  rate; mono or stereo, mixed down) -- :func:`read_recordings`.

Either way the controls come from the *audio*, as a researcher extracts them from a recording,
never from the MIDI (:func:`analyze`):

* ``f0_hz``: CREPE (torchcrepe, the ``tiny`` model by default; :func:`crepe_f0`) on the 16 kHz
  audio at a 10 ms hop, interpolated in log frequency onto the 4 ms frame grid; CREPE's
  periodicity is the voicing measure. CREPE's pitch bins end at 1975.5 Hz, so frames that YIN
  (:func:`yin_f0`) places above :data:`CREPE_TOP_HZ` (the top octave of the piccolo, flute and
  violin) take YIN's f0 and voicing instead, and so do frames where YIN is sure (CMNDF minimum
  under 0.1) of a fundamental CREPE reads as its 2nd or 3rd harmonic (within 50 cents; CREPE
  tiny does that on a few of FluidR3's lowest notes). CREPE tiny's estimate wobbles by up to
  ~15 cents from frame to frame, too much for the targets of high harmonics; where YIN's f0
  lies within 50 cents of CREPE's, YIN's value refines it (CREPE decides octave and voicing).
  ``f0_method="yin"`` uses YIN throughout (fast,
  no torch); ``"crepe-full"`` the full CREPE model (about 25 times slower than ``tiny`` on a
  CPU core; meant for a GPU). Unvoiced frames hold the nearest voiced f0 and get weight 0.
* ``loudness_db``: the render's convention (:mod:`partita.render.timbres`): RMS level in dB
  relative to a full-scale sine, over a 4096-sample (48 kHz, 85 ms) Hann window centred on the frame;
  and ``loudness_a_db``, the A-weighted loudness (DDSP's definition) used in evaluation.
* targets: ``harm_log`` [N, 60], the natural log of each harmonic's amplitude (peak of a
  4096-point Hann STFT at 48 kHz around k f0, scaled so a sine of amplitude A reads A);
  ``noise_log`` [N, 17], log noise magnitudes at 17 bands from 0 to 24 kHz (median power of the
  bins between harmonics, scaled so the synth's filtered noise of magnitude m reads m).

>>> import numpy as np
>>> sr = 16000; t = np.arange(sr) / sr
>>> a = analyze((0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sample_rate=sr, f0_method="yin")
>>> bool(abs(np.median(a["f0_hz"][50:200]) - 220) < 1), round(float(np.median(a["loudness_db"][50:200])), 1)
(True, -6.0)
"""

from __future__ import annotations

import contextlib
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
from scipy.signal import resample_poly

from partita.errors import ConfigError, PartitaError
from partita.render.f0_track import FRAME_RATE, _frames_slice, crepe_f0, yin_f0

__all__ = [
    "DataError",
    "FRAME_RATE",
    "analyze",
    "yin_f0",
    "crepe_f0",
    "F0_METHODS",
    "a_weighted_loudness",
    "render_soundfont",
    "tremolo_events",
    "expression_ramp",
    "play_events",
    "read_recordings",
    "build_dataset",
    "combine_datasets",
    "AUDIO_SUFFIXES",
]

#: Bumped whenever the analysis changes: cached datasets of another version are rebuilt.
ANALYSIS_VERSION = 5
#: f0 estimators :func:`analyze` accepts.
F0_METHODS = ("crepe", "crepe-full", "yin")
#: CREPE's pitch bins span 32.70 Hz (bin 0) to 1975.5 Hz (bin 359): above this, YIN's f0 is used.
CREPE_TOP_HZ = 1900.0
#: Voicing threshold on CREPE's periodicity (the peak bin's probability), measured on FluidR3
#: notes (``docs/neural_renderers.md``): sustained notes read 0.6-0.95, release tails and
#: silence below 0.3.
CREPE_VOICED = 0.5
SR = 48000
HOP = 192  # samples per frame at 48 kHz
N_HARMONICS = 60
N_BANDS = 17
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"


class DataError(PartitaError):
    """Training audio that cannot be used (no pitch, too short, clipped, no files)."""


# ---------------------------------------------------------------------------------------------
# Analysis


def a_weighted_loudness(x48: np.ndarray, *, n_frames: int, n_fft: int = 2048) -> np.ndarray:
    """A-weighted loudness in dB (DDSP's ``compute_loudness``: mean A-weighted power of a
    Hann STFT, relative to a full-scale sine), float64 [n_frames]."""
    fr = _frames_slice(x48, n_fft, HOP, 0, n_frames) * np.hanning(n_fft)
    p = np.abs(np.fft.rfft(fr, axis=1)) ** 2
    f = np.fft.rfftfreq(n_fft, 1 / SR)
    f2 = np.maximum(f, 1e-3) ** 2
    ra = (12194.0**2 * f2**2) / ((f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2))
    wa = ra**2 * 10 ** (2.0 / 10)  # +2.0 dB: 0 dB at 1 kHz
    ref = (np.hanning(n_fft).sum() / 2) ** 2  # power of a full-scale sine's peak bin
    return 10 * np.log10(np.maximum((p * wa).sum(axis=1) / ref / 1.5, 1e-12))  # 1.5: Hann main-lobe power spread


def analyze(audio: np.ndarray, *, sample_rate: int, name: str = "audio", f0_method: str = "crepe") -> dict[str, np.ndarray]:
    """Frame-rate controls and targets of one monophonic recording (see the module docstring).

    Parameters
    ----------
    audio
        float32 [n_samples] mono audio at ``sample_rate`` Hz.
    f0_method
        ``"crepe"`` (CREPE tiny, YIN above 1900 Hz), ``"crepe-full"`` (the full CREPE model) or
        ``"yin"``.

    Returns
    -------
    dict of float32 arrays over N frames (4 ms): ``f0_hz``, ``aperiodicity`` (1 - CREPE's
    periodicity, or YIN's CMNDF minimum), ``loudness_db``,
    ``loudness_a_db``, ``harm_log`` [N, 60], ``noise_log`` [N, 17], ``weight`` (1 for voiced
    frames louder than -70 dB), and ``audio16`` [N * 64] (the audio at 16 kHz).
    """
    if f0_method not in F0_METHODS:
        raise ConfigError(f"f0 method {f0_method!r} is not one of {', '.join(F0_METHODS)}", file=name)
    x = np.asarray(audio, np.float64)
    if sample_rate != SR:
        g = math.gcd(int(sample_rate), SR)
        x48 = resample_poly(x, SR // g, int(sample_rate) // g)
    else:
        x48 = x
    n = int(math.ceil(len(x48) / HOP))
    x16 = resample_poly(x48, 1, 3)
    x16 = np.pad(x16, (0, max(0, n * 64 - len(x16))))[: n * 64]
    f0, aper = yin_f0(x16, n_frames=n)
    yin_voiced = aper < 0.3
    if f0_method != "yin":
        f0_c, per = crepe_f0(x16, n_frames=n, model="full" if f0_method == "crepe-full" else "tiny")
        high = yin_voiced & (f0 > CREPE_TOP_HZ)  # above CREPE's bins: YIN's f0 and voicing
        # CREPE tiny names the 2nd or 3rd harmonic of some very low notes (FluidR3's cello C2,
        # tuba E1) where YIN, which measures the period, is sure of the fundamental: take YIN's
        ratio = f0_c / np.maximum(f0, 1.0)
        whole = np.rint(ratio)
        harmonic = (aper < 0.1) & (whole >= 2) & (np.abs(1200 * np.log2(np.maximum(ratio, 1e-3) / np.maximum(whole, 1))) < 50)
        high |= harmonic
        # CREPE's bins are 20 cents wide and its local average wobbles by up to ~15 cents frame
        # to frame; harmonic 40 of a note needs f0 within a few cents for its peak to be found.
        # Where YIN's period lies within 50 cents of CREPE's pitch, YIN's value refines it
        # (CREPE still decides the octave and the voicing).
        close = np.abs(1200 * np.log2(np.maximum(f0, 1.0) / np.maximum(f0_c, 1.0))) < 50
        f0 = np.where(high | close, f0, f0_c)
        voiced_f0 = np.where(high, True, per >= CREPE_VOICED)
        aper = np.where(high, aper, 1.0 - per)
    else:
        voiced_f0 = yin_voiced
    # loudness (render convention: dB re a full-scale sine's RMS)
    lw = np.hanning(4096)  # 85 ms: smooth even for a 30 Hz tuba note (DDSP uses 128 ms)
    fr = _frames_slice(x48, 4096, HOP, 0, n) * lw
    rms = np.sqrt((fr**2).sum(axis=1) / (lw**2).sum())
    loud = 20 * np.log10(np.maximum(rms * math.sqrt(2.0), 1e-6))
    voiced = voiced_f0 & (loud > -70.0) & (f0 > 0)
    # hold f0 through unvoiced frames (nearest voiced value)
    if voiced.any():
        vi = np.nonzero(voiced)[0]
        nearest = vi[np.clip(np.searchsorted(vi, np.arange(n)), 0, len(vi) - 1)]
        prev = vi[np.clip(np.searchsorted(vi, np.arange(n)) - 1, 0, len(vi) - 1)]
        pick = np.where(np.abs(prev - np.arange(n)) < np.abs(nearest - np.arange(n)), prev, nearest)
        f0 = f0[pick]
    else:
        f0 = np.full(n, 220.0)
    # harmonic and noise targets from a 4096-point STFT at 48 kHz
    nfft = 4096
    w = np.hanning(nfft)
    harm = np.full((n, N_HARMONICS), -30.0)
    noise = np.full((n, N_BANDS), -30.0)
    binw = SR / nfft
    k = np.arange(1, N_HARMONICS + 1)
    band_hz = np.linspace(0.0, SR / 2, N_BANDS)
    freqs = np.fft.rfftfreq(nfft, 1 / SR)
    nb = len(freqs)
    half_band = int(round(750.0 / binw))
    band_bins = np.rint(band_hz / binw).astype(int)[:, None] + np.arange(-half_band, half_band + 1)[None, :]
    band_valid = (band_bins >= 0) & (band_bins < nb)
    band_bins = np.clip(band_bins, 0, nb - 1)  # [N_BANDS, width]
    for s in range(0, n, 512):
        e = min(n, s + 512)
        spec = np.abs(np.fft.rfft(_frames_slice(x48, nfft, HOP, s, e) * w, axis=1))  # [m, nb]
        fi = f0[s:e]
        m = e - s
        rows = np.arange(m)[:, None]
        fk = fi[:, None] * k[None, :]
        ok = fk < 0.96 * SR / 2
        centre = np.rint(fk / binw).astype(int)
        near = np.stack([spec[rows, np.clip(centre + d, 0, nb - 1)] for d in (-2, -1, 0, 1, 2)], axis=-1)
        top = np.clip(centre + near.argmax(axis=-1) - 2, 1, nb - 2)  # the peak bin
        la, lb, lc = (np.log(np.maximum(spec[rows, top + d], 1e-20)) for d in (-1, 0, 1))
        den = la - 2 * lb + lc
        off = np.where(den < -1e-9, 0.5 * (la - lc) / np.where(den < -1e-9, den, -1.0), 0.0).clip(-0.5, 0.5)
        peak_log = lb - 0.25 * (la - lc) * off  # parabolic interpolation of the log magnitude
        hl = peak_log + math.log(2.0 / w.sum())
        hl = np.maximum(hl, math.log(1e-12))
        harm[s:e] = np.where(ok, hl, -30.0)
        # noise: median power of the bins between harmonics in each band (+-750 Hz)
        ratio = freqs[None, :] / fi[:, None]
        between = np.abs(ratio - np.rint(ratio)) > 0.25  # [m, nb]
        pw = np.where(between, spec**2, np.nan)[:, band_bins]  # [m, N_BANDS, width]
        pw[:, ~band_valid] = np.nan
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(pw, axis=2) / math.log(2.0)
        nl = 0.5 * np.log(np.maximum(med / (w**2).sum(), 1e-24))
        noise[s:e] = np.where(np.isfinite(nl), nl, -30.0)
    quiet = ~voiced & (loud <= -70.0)
    harm[quiet] = -30.0
    noise[quiet] = -30.0
    return {
        "f0_hz": f0.astype(np.float32),
        "aperiodicity": aper.astype(np.float32),
        "loudness_db": loud.astype(np.float32),
        "loudness_a_db": a_weighted_loudness(x48, n_frames=n).astype(np.float32),
        "harm_log": harm.astype(np.float32),
        "noise_log": noise.astype(np.float32),
        "weight": voiced.astype(np.float32),
        "audio16": x16.astype(np.float32),
    }


# ---------------------------------------------------------------------------------------------
# Sources


@dataclass(frozen=True, slots=True)
class Item:
    """One training recording: mono float32 audio, its sample rate and a name."""

    name: str
    audio: np.ndarray
    sample_rate: int


def _fresh_process_dither(make: Callable[[], Any]) -> Any:
    """``make()`` (a fluidsynth synth) with the C library's ``random()`` in the state a fresh
    process starts with, the caller's state put back after.

    fluidsynth dithers the 16-bit samples it hands out (pyfluidsynth's ``get_samples``) from a
    table it fills from ``rand()`` once per process, when the first synth is made. Whatever called
    ``rand()`` before in the process (Dask's failed connection does, in ``tests/test_batch.py``)
    changed that table, and so the notes rendered here (in their least significant bits) and the
    models fitted from them (in the fourth decimal): a fit run after such a call gave other tables
    than the same command in a process of its own. With the state of a fresh process (glibc's
    ``initstate(1, ...)``, as documented in its ``random.c``) the table is the same in any
    process; the caller's own sequence is kept (``setstate``), so nothing else in the process sees
    a change. A synth made later in the process uses the table already made. Without glibc's
    ``initstate`` (another C library), the synth is made as it is."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        initstate, setstate = libc.initstate, libc.setstate
    except (OSError, AttributeError, TypeError):
        return make()
    initstate.restype = setstate.restype = ctypes.c_void_p
    initstate.argtypes = [ctypes.c_uint, ctypes.c_void_p, ctypes.c_size_t]
    setstate.argtypes = [ctypes.c_void_p]
    state = ctypes.create_string_buffer(128)  # glibc's default: a 128-byte (TYPE_3) state
    previous = initstate(1, state, 128)
    try:
        return make()
    finally:
        if previous:
            setstate(previous)


def open_soundfont(soundfont: str | os.PathLike[str], program: int, bank: int = 0) -> tuple[Any, int]:
    """A fluidsynth synth (48 kHz, reverb and chorus off) with ``program`` of ``bank`` selected
    (bank 0: General MIDI; MuseScore_General keeps its pizzicato and tremolo sections in banks
    20-51, see docs/neural_renderers.md).

    Raises
    ------
    DataError
        The file is missing or unloadable, or has no preset for ``program`` in ``bank`` (the
        message lists the presets that bank has).
    """
    with contextlib.redirect_stdout(io.StringIO()):  # pyfluidsynth >= 1.4 prints its library's path when $CI is set
        import fluidsynth

    sf = Path(soundfont)
    if not sf.is_file():
        raise DataError("soundfont not found", file=str(sf))
    fs = _fresh_process_dither(lambda: fluidsynth.Synth(gain=0.6, samplerate=float(SR)))
    for key, val in (("synth.reverb.active", 0), ("synth.chorus.active", 0)):
        fs.setting(key, val)
    sfid = fs.sfload(str(sf))
    if sfid < 0:
        fs.delete()
        raise DataError("fluidsynth cannot load this soundfont", file=str(sf))
    if not 0 <= int(bank) <= 16383:
        fs.delete()
        raise DataError(f"bank {bank} is outside 0-16383", file=str(sf))
    if fs.sfpreset_name(sfid, int(bank), int(program)) is None:
        found = [(p, fs.sfpreset_name(sfid, int(bank), p)) for p in range(128)]
        found = [f"{p} ({name})" for p, name in found if name is not None]
        fs.delete()
        shown = ", ".join(found[:12]) + (f" and {len(found) - 12} more" if len(found) > 12 else "")
        raise DataError(f"no preset for {'GM ' if int(bank) == 0 else ''}program {program} in bank {bank}; the soundfont has "
                        + (f"{len(found)} program(s) in bank {bank}: {shown}" if found else f"no presets in bank {bank}"), file=str(sf))  # fmt: skip
    fs.program_select(0, sfid, int(bank), int(program))
    return fs, sfid


def render_soundfont(
    *,
    program: int,
    midi_range: tuple[int, int],
    minutes: float = 4.0,
    soundfont: str | os.PathLike[str] = SOUNDFONT,
    seed: int = 0,
    bank: int = 0,
    tremolo: bool = False,
) -> list[Item]:
    """Render isolated notes and expressive phrases of one GM program through fluidsynth.

    Notes cover ``midi_range`` (sounding MIDI) at velocities 45/80/115 and durations 0.35 s and
    1.2 s; phrases are legato runs (next note on before the previous note off) with a 5.5 Hz
    vibrato by pitch bend (+-25 cents, from 0.3 s into each note) and a crescendo or diminuendo
    by CC 11. With ``tremolo`` (bowed strings), every third phrase is a tremolo instead
    (:func:`tremolo_events`, drawn from a stream of its own, so the legato phrases are drawn as
    for the same seed without it). Reverb and chorus are off. ``minutes`` bounds the total audio
    (about half notes, half phrases). Returns float32 mono items at 48 kHz.
    """
    rng = np.random.default_rng(seed)
    trem_rng = np.random.default_rng([seed, 31])
    fs, _ = open_soundfont(soundfont, program, bank)  # refuses a missing program, listing the presets
    lo, hi = int(midi_range[0]), int(midi_range[1])

    items: list[Item] = []
    budget = minutes * 60.0
    used = 0.0
    n_pitches = hi - lo + 1
    per_note = (0.35 + 1.2) * 3 + 2 * 0.5 * 3
    step = max(1, int(math.ceil(n_pitches * per_note / (budget / 2))))
    for p in range(lo, hi + 1, step):
        for vel in (45, 80, 115):
            for dur in (0.35, 1.2):
                ev = [(0.0, "cc", (0, 11, 127)), (0.0, "noteon", (0, p, vel)), (dur, "noteoff", (0, p))]
                audio = play_events(fs, ev, dur + 0.5)
                items.append(Item(f"note_{p}_{vel}_{dur}", audio, SR))
                used += dur + 0.5
    k = 0
    while used < budget:
        if tremolo and k % 3 == 2:
            ev, t = tremolo_events(trem_rng, lo, hi)
            items.append(Item(f"tremolo_{k}", play_events(fs, ev, t + 0.5), SR))
            used += t + 0.5
            k += 1
            continue
        n_notes = int(rng.integers(4, 9))
        start = int(rng.integers(lo, max(lo + 1, hi - 7)))
        pitches = np.clip(start + np.cumsum(rng.integers(-3, 4, n_notes)), lo, hi)
        durs = rng.uniform(0.25, 0.9, n_notes)
        vel = int(rng.integers(50, 110))
        total = float(durs.sum())
        ev: list[tuple[float, str, tuple]] = []
        t = 0.0
        cresc = rng.random() < 0.5
        ev += expression_ramp(total, cresc)
        for j, (p, d) in enumerate(zip(pitches, durs)):
            ev.append((t, "noteon", (0, int(p), vel)))
            if j > 0 and pitches[j - 1] != p:
                ev.append((t + 0.01, "noteoff", (0, int(pitches[j - 1]))))  # legato overlap
            # vibrato from 0.3 s into the note
            for m in range(int(d * FRAME_RATE)):
                tm = m / FRAME_RATE
                depth = 25.0 / 200.0 * 8192 * min(1.0, max(0.0, (tm - 0.3) / 0.2))
                ev.append((t + tm, "pitch_bend", (0, int(depth * math.sin(2 * math.pi * 5.5 * tm)))))
            t += float(d)
        ev.append((t, "noteoff", (0, int(pitches[-1]))))
        audio = play_events(fs, ev, t + 0.6)
        items.append(Item(f"phrase_{k}", audio, SR))
        used += t + 0.6
        k += 1
    fs.delete()
    return items


def tremolo_events(rng: np.random.Generator, lo: int, hi: int) -> tuple[list[tuple[float, str, tuple]], float]:
    """A bowed tremolo as a soundfont can play it, the way partita realises a tremolo mark
    (:mod:`partita.symbolic.realize`): thirty-second notes at 80-132 bpm (10.7-17.6 strokes a
    second) re-struck on one to three pitches of ``lo``-``hi`` (within two octaves of the
    bottom), each pitch for one or two beats, every stroke 85 % of its slot, the down-bow's a
    little louder, under a crescendo or diminuendo by CC 11. Returns the (time_s, method,
    args) events of channel 0 and the tremolo's length in seconds.
    """
    slot = 60.0 / float(rng.uniform(80, 132)) / 8.0
    pitch = int(rng.integers(lo, min(hi, lo + 24) + 1))
    vel = int(rng.integers(55, 105))
    ev: list[tuple[float, str, tuple]] = [(0.0, "cc", (0, 11, 127))]
    t = 0.0
    for _ in range(int(rng.integers(1, 4))):
        for s in range(8 * int(rng.integers(1, 3))):
            v = int(np.clip(vel + (6 if s % 2 == 0 else -6) + rng.integers(-4, 5), 1, 127))
            ev += [(t, "noteon", (0, pitch, v)), (t + 0.85 * slot, "noteoff", (0, pitch))]
            t += slot
        pitch = int(np.clip(pitch + rng.integers(-4, 5), lo, hi))
    ev += expression_ramp(t, bool(rng.random() < 0.5))
    return ev, t


def expression_ramp(seconds: float, crescendo: bool) -> list[tuple[float, str, tuple]]:
    """Expression (CC 11 of channel 0) rising from 40 to 127 over ``seconds`` (``crescendo``),
    or falling from 127 to 40, one event a frame: the phrases' dynamics."""
    ramp = []
    for j in range(int(seconds * FRAME_RATE) + 1):
        frac = j / FRAME_RATE / seconds
        ramp.append((j / FRAME_RATE, "cc", (0, 11, int(np.clip(40 + 87 * (frac if crescendo else 1 - frac), 0, 127)))))
    return ramp


def play_events(fs: Any, events: list[tuple[float, str, tuple]], seconds: float) -> np.ndarray:
    """Play (time_s, method, args) events on a fluidsynth synth (:func:`open_soundfont`) for
    ``seconds``, one frame (192 samples at 48 kHz) at a time, each event at the first frame at or
    after its time (pitch bend and CC curves are events too); then channel 0's pitch bend and
    expression are reset. Returns float32 mono."""
    events = sorted(events, key=lambda e: e[0])
    out = []
    i = 0
    for blk in range(int(math.ceil(seconds * FRAME_RATE))):
        while i < len(events) and events[i][0] <= blk / FRAME_RATE:
            getattr(fs, events[i][1])(*events[i][2])
            i += 1
        out.append(np.asarray(fs.get_samples(HOP), np.float32).reshape(-1, 2).mean(axis=1) / 32768.0)
    fs.pitch_bend(0, 0)
    fs.cc(0, 11, 127)
    return np.concatenate(out)


def read_recordings(folder: str | os.PathLike[str]) -> list[Item]:
    """Read a folder (recursively) of monophonic recordings: wav/flac/ogg/aiff, any rate, mono or
    stereo (mixed down to mono).

    Raises
    ------
    DataError
        No audio files (the message lists what the folder holds); a file that is unreadable,
        shorter than 0.5 s, or clipped (more than 0.1 % of samples at full scale), naming it.
    """
    import soundfile

    root = Path(folder)
    if not root.is_dir():
        raise DataError("not a folder", file=str(root))
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        found = sorted(p.name for p in root.rglob("*") if p.is_file())
        shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
        raise DataError(
            f"no audio files ({', '.join(AUDIO_SUFFIXES)}) found; the folder holds "
            + (f"{len(found)} other file(s): {shown}" if found else "nothing"),
            file=str(root),
        )
    items = []
    for f in files:
        try:
            audio, sr = soundfile.read(str(f), dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises its own error types
            raise DataError(f"cannot read audio ({exc})", file=str(f)) from None
        mono = audio.mean(axis=1)
        if len(mono) < 0.5 * sr:
            raise DataError(f"too short to train on ({len(mono) / sr:.2f} s; at least 0.5 s per file)", file=str(f))
        clipped = float(np.mean(np.abs(audio) >= 0.999))
        if clipped > 0.001:
            raise DataError(f"clipped: {100 * clipped:.2f} % of samples at full scale; record with more headroom", file=str(f))
        items.append(Item(f.name, mono, int(sr)))
    return items


def _analyze_item(it: Item, *, f0_method: str) -> dict[str, np.ndarray]:
    """:func:`analyze` of one item (a module-level function, for the engine's workers)."""
    return analyze(it.audio, sample_rate=it.sample_rate, name=it.name, f0_method=f0_method)


def build_dataset(items: Iterable[Item], *, val_every: int = 5, min_voiced_s: float = 0.5,
                  skip_unpitched: bool = False, f0_method: str = "crepe",
                  scheduler: str | None = None, workers: int = 1) -> dict[str, np.ndarray]:  # fmt: skip
    """Analyse items and concatenate them into training arrays over frames.

    Every ``val_every``-th item is held out for validation (``split`` 1). Raises
    :class:`DataError` when an item has no pitched content (unless ``skip_unpitched``: rendered
    soundfont notes beyond the f0 tracker's range are left out), or when the total voiced audio
    is under ``min_voiced_s`` seconds. ``scheduler`` (``tcp://HOST:PORT``) or ``workers`` > 1
    analyses the items on the engine of :mod:`partita._engine` (the arrays are the same).
    """
    from partita._engine import map_items

    items = list(items)
    parts: dict[str, list[np.ndarray]] = {}
    voiced_frames = 0
    i = -1
    analysed = map_items(_analyze_item, items, scheduler=scheduler, workers=workers, f0_method=f0_method)
    for it, a in zip(items, analysed):
        nv = int(a["weight"].sum())
        if nv < 10:
            if skip_unpitched:
                continue
            raise DataError("no pitched content found (fewer than 10 voiced 4 ms frames)", file=it.name)
        i += 1
        voiced_frames += nv
        a["split"] = np.full(len(a["f0_hz"]), 1 if (i % val_every == val_every - 1) else 0, np.int8)
        a["item"] = np.full(len(a["f0_hz"]), i, np.int32)
        for k2, v in a.items():
            parts.setdefault(k2, []).append(v)
    if not parts:
        raise ConfigError("no items to build a dataset from")
    if voiced_frames < min_voiced_s * FRAME_RATE:
        raise DataError(f"too short to train on: {voiced_frames / FRAME_RATE:.2f} s of pitched audio (at least {min_voiced_s} s)")
    data = {k2: np.concatenate(v) for k2, v in parts.items()}
    if not (data["split"] == 1).any():  # one item: hold out its last fifth
        n = len(data["split"])
        data["split"][int(0.8 * n) :] = 1
    return data


def combine_datasets(datasets: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate datasets built one per source (:func:`build_dataset`), in order.

    Each keeps its own held-out items (``split``), so the held-out measure covers every source;
    ``item`` numbers are shifted so no two sources share one (the onset feature runs item by
    item), and ``source`` (int16 [N]) gives each frame's index in ``datasets``.

    >>> a = {"f0_hz": np.ones(3, np.float32), "split": np.int8([0, 0, 1]), "item": np.int32([0, 0, 1])}
    >>> b = {"f0_hz": np.ones(2, np.float32), "split": np.int8([0, 1]), "item": np.int32([0, 1])}
    >>> d = combine_datasets([a, b])
    >>> d["item"].tolist(), d["source"].tolist(), d["split"].tolist()
    ([0, 0, 1, 2, 3], [0, 0, 0, 1, 1], [0, 0, 1, 0, 1])
    """
    if not datasets:
        raise ConfigError("no datasets to combine")
    keys = set(datasets[0])
    if any(set(d) != keys for d in datasets[1:]):
        raise ConfigError("datasets to combine hold different arrays: " + ", ".join(sorted(keys ^ set().union(*datasets))))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    first_item = 0
    for index, d in enumerate(datasets):
        for k in keys:
            parts[k].append(d[k] + first_item if k == "item" else d[k])
        parts.setdefault("source", []).append(np.full(len(d["f0_hz"]), index, np.int16))
        first_item += int(d["item"].max()) + 1 if len(d["item"]) else 0
    return {k: np.concatenate(v) for k, v in parts.items()}
