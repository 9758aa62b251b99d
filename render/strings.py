"""Trained string models for struck and plucked instruments: modal synthesis from learned tables.

A piano, guitar, bass or harp note is a sum of decaying partials plus a short noise burst, and
that is what this model renders (numpy and numba; no torch at render time). Its parameters are
tables over a grid of pitches ("registers") and velocities, fitted by
:mod:`partita.render.strings_fit` from a soundfont's own notes, and read by bilinear
interpolation at the note's pitch and velocity:

* partial ``k`` sounds at the stiff-string frequency ``f_k = k f0 sqrt(1 + B k^2)``
  (Fletcher 1964), with the inharmonicity ``B`` learned per register (``log10_b``); in the
  ``bars`` family (struck bars, tubes and the timpani: modal instruments whose partials are not a
  stretched harmonic series) mode ``k`` sounds at ``f0 * ratio_k`` instead, its ratio to the
  note's pitch learned per register (``ratio``, :data:`MODAL_TABLES`): a tuned marimba bar's
  modes near 1 : 4 : 10, a glockenspiel's free bar near 1 : 2.76 : 5.40, a kettle drum's
  membrane near 1 : 1.5 : 2 (Fletcher & Rossing 1998, ch. 18-19);
* two decays while the key is held, as a piano string's (Weinreich 1977): a slow one (level at
  the onset ``amp_db``, dB relative to the note's peak RMS level, and rate ``decay_db_s``, dB/s)
  and a prompt one (``fast_db``, ``fast_decay_db_s``), per partial, pitch and velocity;
* after the note-off (the damper; a sustain pedal is already in the note's length, see
  :mod:`partita.symbolic.realize`) every partial decays at ``release_db_s``, per register;
* ``n_strings`` strings per note (piano: 1 in the lowest register, then 2, then 3; plucked: 1),
  detuned by ``detune_cents`` around the pitch (measured per register from the beating of the
  partials) times the config's ``detune_scale`` (chosen when fitting: the scale among 0, 1/4
  and 1 whose renders are closest to the fitted notes; 0 renders one string), so their partials beat;
* the hammer or pluck: filtered noise at ``n_bands`` bands (0-24 kHz, ``noise_db`` relative to
  the level), decaying with the time constant ``noise_tau_s``;
* a vibraphone's motor, where the fit found one (config ``motor``: ``rate_hz``, ``depth_db``,
  ``phase``): the whole note's level times ``depth_db cos(2 pi rate_hz t + phase)`` dB, ``t`` from
  the onset, as the soundfont's samples have it baked in from their start (every note starts the
  discs' turn at the same phase there; a player's motor turns on regardless of the notes, which a
  sample cannot show).

Weight files are ``string-model`` checkpoints (:mod:`partita.checkpoint`). In the render path
the model is a decoder (:class:`StringDecoder`) that renders a phrase (one note of a struck or
plucked part) straight to audio (:meth:`StringDecoder.render_phrase`): the note's pitch is the
median f0 of the performer's curve, its level the curve's peak in the first 60 ms, its velocity
that level read back through the performer's dynamics (:class:`partita.render.performance.Style`),
its note-off the curve's ``end_s``.

>>> partial_frequencies(100.0, 1e-3, 3).round(3).tolist()
[100.05, 200.4, 301.347]
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from partita.checkpoint import Checkpoint, read_checkpoint
from partita.errors import ConfigError
from partita.render.frames import _ratio, _segment_start
from partita.render.jit import njit
from partita.render.strings_kernel import _render
from partita.render.synth import _basis, _noise_kernel

__all__ = [
    "KIND",
    "MODAL_FAMILIES",
    "MODAL_TABLES",
    "MODEL_FAMILIES",
    "TABLES",
    "tables_for",
    "partial_frequencies",
    "strings_for",
    "StringModel",
    "StringDecoder",
    "hat_weights",
    "warmup",
]

KIND = "string-model"
#: Designed-timbre style (``timbres.toml``) -> string-model family; these instruments train a
#: string model rather than a neural decoder.
MODEL_FAMILIES = {"piano": "piano", "plucked": "plucked", "harp": "plucked", "banjo": "plucked",
                  "harpsichord": "plucked", "clavinet": "plucked", "electric_piano": "piano",
                  "mallet": "bars", "bells": "bars", "timpani": "bars"}
#: The tables of a weight file and their axes (P pitch knots, V velocity knots, K partials, N bands).
TABLES = {"log10_b": "P", "detune_cents": "P", "release_db_s": "P", "level_db": "PV", "amp_db": "PVK",
          "decay_db_s": "PVK", "fast_db": "PVK", "fast_decay_db_s": "PVK", "noise_db": "PVN"}  # fmt: skip
#: The tables a modal (``bars``) model has besides :data:`TABLES`: each mode's frequency over the
#: note's pitch, per register (``log10_b`` is unused there).
MODAL_TABLES = {"ratio": "PK"}
#: Families whose partials are modes at learned ratios (:data:`MODAL_TABLES`), not a stiff string's.
MODAL_FAMILIES = ("bars",)


def tables_for(family: str) -> dict[str, str]:
    """The tables a model of ``family`` has, and their axes: :data:`TABLES`, plus
    :data:`MODAL_TABLES` for a modal family."""
    return {**TABLES, **MODAL_TABLES} if family in MODAL_FAMILIES else dict(TABLES)


#: Noise bands: evenly spaced from 0 Hz to this frequency (the 48 kHz Nyquist), as the decoders'.
NOISE_TOP_HZ = 24000.0
_SILENT_DB = -100.0  # a partial stops once it falls this far below full scale,
_BELOW_DB = 80.0  # or this far below the note's level, whichever is higher


def partial_frequencies(f0_hz: float, b: float, n: int) -> np.ndarray:
    """Stiff-string partial frequencies ``k f0 sqrt(1 + B k^2)``, k = 1..n (float64 [n])."""
    k = np.arange(1, n + 1, dtype=np.float64)
    return k * float(f0_hz) * np.sqrt(1.0 + float(b) * k * k)


def strings_for(family: str, midi: float) -> int:
    """Strings per note: a grand piano has one string in its lowest notes (to about B0), two up to
    about F#2 and three above (Fletcher & Rossing 1998, ch. 12); a plucked string has one."""
    if family != "piano":
        return 1
    return 1 if midi < 35 else 2 if midi < 55 else 3


def hat_weights(x: float, knots: np.ndarray) -> tuple[int, int, float]:
    """Linear interpolation between knots: (lower index, upper index, weight of the upper);
    clamped at the ends."""
    kn = np.asarray(knots, np.float64)
    if len(kn) == 1 or x <= kn[0]:
        return 0, 0, 0.0
    if x >= kn[-1]:
        return len(kn) - 1, len(kn) - 1, 0.0
    i = int(np.searchsorted(kn, x, side="right") - 1)
    return i, i + 1, float((x - kn[i]) / (kn[i + 1] - kn[i]))


_NOISE_FRAME_RATE = 250.0  # Hz: the noise burst's envelope frames
#: The tables in the order of their columns in StringModel._pack (_note_rows reads them so); a modal
#: model's ``ratio`` columns follow.
_PACK_ORDER = ("log10_b", "detune_cents", "release_db_s", "level_db", "amp_db", "decay_db_s", "fast_db",
               "fast_decay_db_s", "noise_db")  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy")
def _hat(x, knots):
    """:func:`hat_weights` in numba."""
    n = knots.size
    if n == 1 or x <= knots[0]:
        return 0, 0, 0.0
    if x >= knots[n - 1]:
        return n - 1, n - 1, 0.0
    i = np.searchsorted(knots, x, side="right") - 1
    return i, i + 1, (x - knots[i]) / (knots[i + 1] - knots[i])


@njit(cache=True, nogil=True, error_model="numpy")
def _note_rows(table, has_v, pk, vk, k_max, f0_hz, midi, velocity, level_db, n_on, n_off, sample_rate, n_samples,
               n_strings, detune_scale, noise_tau_s, frame_rate, modal):  # fmt: skip
    """One note's rows for :func:`partita.render.strings_kernel.render_note` (frequency, amplitude
    and decays per sample; each string's slow partials, then its prompt ones), its floor, length
    (``n_samples``, or -1 for until the partials stop, at most 4 s after the note-off), onset ramp
    and noise magnitudes (float32 [frames, bands]): :meth:`StringModel.note`'s arithmetic, the
    tables read as :meth:`StringModel.params` reads them. ``modal``: the last ``k_max`` columns
    are the modes' ratios to f0 (the ``bars`` family), which then replace the stiff string."""
    pi0, pi1, pw = _hat(midi, pk)
    vi0, vi1, vw = _hat(velocity, vk)
    p = np.empty(table.shape[2])
    for c in range(p.size):
        lo = (1 - pw) * table[pi0, vi0, c] + pw * table[pi1, vi0, c]
        if has_v[c]:
            hi = (1 - pw) * table[pi0, vi1, c] + pw * table[pi1, vi1, c]
            lo = (1 - vw) * lo + vw * hi
        p[c] = lo
    # columns in _PACK_ORDER: log10_b, detune_cents, release_db_s, level_db, amp_db, decay_db_s, fast_db,
    # fast_decay_db_s (k_max each), noise_db (then, modal, ratio: k_max)
    b = 10.0 ** p[0]
    n_ratio = k_max if modal else 0
    amp_db = p[4 : 4 + k_max]
    decay_db_s = p[4 + k_max : 4 + 2 * k_max]
    fast_db = p[4 + 2 * k_max : 4 + 3 * k_max]
    fast_decay_db_s = p[4 + 3 * k_max : 4 + 4 * k_max]
    noise_db = p[4 + 4 * k_max : p.size - n_ratio]
    ratio = p[p.size - n_ratio :]
    sr = float(sample_rate)
    rel = max(p[2], 5.0)
    if n_samples < 0:
        n_samples = n_off + int(min(80.0 / rel, 4.0) * sr) + 1
    detune = p[1] * detune_scale
    ns = n_strings if detune > 0.0 else 1
    rows = 2 * ns * k_max
    f = np.empty(rows)
    a = np.empty(rows)
    d_on = np.empty(rows)
    d_off = np.empty(rows)
    for s in range(ns):
        cents = 0.0 if ns == 1 else (-0.5 + s / (ns - 1)) * detune  # centred
        shift = 2.0 ** (cents / 1200.0)
        for k in range(k_max):
            kf = float(k + 1)
            if modal:
                fk = f0_hz * ratio[k]
            else:
                fk = kf * f0_hz * math.sqrt(1.0 + b * kf * kf)  # the stiff string (partial_frequencies)
            keep = 0.0 < fk < 0.45 * sr
            for fast in range(2):
                r = (2 * s + fast) * k_max + k
                f[r] = fk * shift
                db = fast_db[k] if fast else amp_db[k]
                a[r] = (10.0 ** ((level_db + db) / 20.0) if keep else 0.0) / ns
                dec = max(fast_decay_db_s[k] if fast else decay_db_s[k], 0.0)
                d_on[r] = 10.0 ** (-dec / 20.0 / sr)
                d_off[r] = 10.0 ** (-max(dec, rel) / 20.0 / sr)
    floor = 10.0 ** (max(level_db - _BELOW_DB, _SILENT_DB) / 20.0)
    # a 2 ms raised-cosine onset: the soundfont's samples start softly too, and a sum of sines all
    # at phase 0 needs no more to start without a click
    n_ramp = max(0, min(int(0.002 * sr), n_samples - n_on))
    ramp = np.empty(n_ramp)
    for j in range(n_ramp):
        ramp[j] = 0.5 - 0.5 * math.cos(math.pi * j / n_ramp)
    # the hammer or pluck: noise_db at bands evenly spaced to NOISE_TOP_HZ (silent above),
    # decaying with the time constant noise_tau_s
    nb = noise_db.size
    band = NOISE_TOP_HZ / (nb - 1)  # as np.linspace and np.interp(render_hz, band_hz, noise_db, right=-200)
    mag = np.empty(nb)
    for i in range(nb):
        hz = sr / 2.0 if i == nb - 1 else i * ((sr / 2.0) / (nb - 1))
        if hz >= NOISE_TOP_HZ:
            db = noise_db[nb - 1] if hz == NOISE_TOP_HZ else -200.0
        else:
            j = min(int(hz / band), nb - 2)
            while j > 0 and j * band > hz:
                j -= 1
            while j < nb - 2 and (j + 1) * band <= hz:
                j += 1
            db = (noise_db[j + 1] - noise_db[j]) / ((j + 1) * band - j * band) * (hz - j * band) + noise_db[j]
        mag[i] = 10.0 ** ((level_db + db) / 20.0)
    n_fr = int(math.ceil(6 * noise_tau_s * frame_rate)) + 1
    mags = np.empty((n_fr, nb), np.float32)
    for t in range(n_fr):
        env = math.exp(-t / frame_rate / noise_tau_s)
        for i in range(nb):
            mags[t, i] = np.float32(env * mag[i])
    return f, a, d_on, d_off, floor, n_samples, ramp, mags


@njit(cache=True, nogil=True, error_model="numpy")
def _note_audio(table, has_v, pk, vk, k_max, f0_hz, midi, velocity, level_db, n_on, n_off, sample_rate, n_samples,
                n_strings, detune_scale, noise_tau_s, frame_rate, modal, basis, seed, trim):  # fmt: skip
    """One note's audio in one call (:meth:`StringModel.note`): :func:`_note_rows`, the hammer's
    filtered noise (``synth.filtered_noise`` of its magnitudes from sample 0, ``seed`` uint64, the
    filter ``basis`` of their bands), then ``strings_kernel.render_note``'s kernel -- the same
    arithmetic as those three calls, with one release of the GIL instead of three."""
    f, a, d_on, d_off, floor, n, ramp, mags = _note_rows(table, has_v, pk, vk, k_max, f0_hz, midi, velocity, level_db,
                                                         n_on, n_off, sample_rate, n_samples, n_strings, detune_scale,
                                                         noise_tau_s, frame_rate, modal)  # fmt: skip
    ratio = frame_rate / float(sample_rate)
    noise = np.empty(max(0, _segment_start(mags.shape[0], ratio) + basis.shape[0] - 1), np.float32)
    _noise_kernel(mags, basis, ratio, seed, 0, noise, False)
    return _render(f, a, d_on, d_off, n_on, n_off, 1.0 / sample_rate, floor, n, -1 if trim else n, ramp, noise)


@dataclass(frozen=True, slots=True)
class StringModel:
    """A fitted string model: config and tables (see the module docstring).

    Build it with :meth:`from_file`; :meth:`note` renders one note.
    """

    config: Mapping[str, Any]
    arrays: Mapping[str, np.ndarray]
    sha256: str = ""
    path: str = ""
    _packed: Any = field(default=None, init=False, repr=False, compare=False)  # see _pack

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, sha256: str | None = None) -> StringModel:
        """Read a ``string-model`` checkpoint (refusals as :func:`partita.checkpoint.read_checkpoint`,
        plus missing or misshapen tables, naming the file)."""
        from partita.errors import CheckpointError

        ck: Checkpoint = read_checkpoint(path, kind=KIND, sha256=sha256)
        cfg = dict(ck.config)
        try:
            p, v = len(cfg["pitch_knots"]), len(cfg["velocity_knots"])
            k, nb = int(cfg["n_partials"]), int(cfg["n_bands"])
            dims = {"P": p, "V": v, "K": k, "N": nb}
            for name, axes in tables_for(cfg["family"]).items():
                if name not in ck.arrays:
                    raise CheckpointError(f"string model without table {name}", file=str(path))
                want = tuple(dims[a] for a in axes)
                if ck.arrays[name].shape != want:
                    raise CheckpointError(f"table {name} has shape {ck.arrays[name].shape}, not {want}", file=str(path))
            if "wash_db" in ck.arrays and ck.arrays["wash_db"].shape != (p, v, nb):  # optional (strings_wash)
                raise CheckpointError(f"table wash_db has shape {ck.arrays['wash_db'].shape}, not {(p, v, nb)}", file=str(path))
        except KeyError as exc:
            raise CheckpointError(f"string model without {exc}", file=str(path)) from None
        return cls(config=cfg, arrays={k2: np.asarray(a, np.float64) for k2, a in ck.arrays.items()},
                   sha256=ck.sha256, path=str(path))  # fmt: skip

    @property
    def family(self) -> str:
        return str(self.config["family"])

    @property
    def modal(self) -> bool:
        """Whether the partials are modes at learned ratios (the ``bars`` family)."""
        return self.family in MODAL_FAMILIES

    def tables(self) -> dict[str, str]:
        """The model's tables and their axes (:func:`tables_for` its family)."""
        return tables_for(self.family)

    def params(self, midi: float, velocity: float) -> dict[str, Any]:
        """The tables read at (``midi``, ``velocity``) by bilinear interpolation."""
        out: dict[str, Any] = {name: self.read(name, axes, midi, velocity) for name, axes in self.tables().items()}
        out["n_strings"] = strings_for(self.family, midi)
        return out

    def read(self, name: str, axes: str, midi: float, velocity: float) -> np.ndarray:
        """Table ``name`` (its axes ``axes``, as :data:`TABLES`) read at (``midi``, ``velocity``)
        by bilinear interpolation (linear along pitch alone for a table without ``V``)."""
        pi0, pi1, pw = hat_weights(midi, np.asarray(self.config["pitch_knots"]))
        t = self.arrays[name]
        by_p = (1 - pw) * t[pi0] + pw * t[pi1]
        if "V" not in axes:
            return by_p
        vi0, vi1, vw = hat_weights(velocity, np.asarray(self.config["velocity_knots"]))
        return (1 - vw) * by_p[vi0] + vw * by_p[vi1]

    def note(self, *, f0_hz: float, velocity: float, level_db: float, on_s: float, off_s: float,
             sample_rate: int, seed: int, n_samples: int | None = None) -> np.ndarray:  # fmt: skip
        """One note: float32 [n] audio from time 0, the note starting at ``on_s`` and released
        at ``off_s`` (seconds), its peak RMS level ``level_db`` (dB re a full-scale sine).

        The length is ``n_samples`` or, by default, until every partial has fallen 80 dB below
        the note's level (or to -100 dB re full scale; at most 4 s after the note-off)."""
        if sample_rate <= 0 or not (f0_hz > 0) or not math.isfinite(level_db) or not math.isfinite(velocity):
            raise ConfigError(f"string model: bad note (f0 {f0_hz} Hz, level {level_db} dB, velocity {velocity}, "
                              f"sample rate {sample_rate})")  # fmt: skip
        midi = 69.0 + 12.0 * math.log2(f0_hz / 440.0)
        n_on = max(0, int(round(on_s * sample_rate)))
        n_off = max(n_on + 1, int(round(off_s * sample_rate)))
        table, has_v, pk, vk = self._pack()
        _ratio(_NOISE_FRAME_RATE, int(sample_rate))  # (says what is wrong with a sample rate below 500 Hz)
        # the rows, the hammer or pluck (filtered noise from the onset, at the model's noise bands),
        # and the note: nothing after every partial has stopped (unless n_samples was asked for)
        audio = _note_audio(
            table, has_v, pk, vk, int(self.config["n_partials"]), float(f0_hz), midi, float(velocity), float(level_db),
            n_on, n_off, int(sample_rate), -1 if n_samples is None else int(n_samples), strings_for(self.family, midi),
            float(self.config.get("detune_scale", 1.0)), float(self.config["noise_tau_s"]), _NOISE_FRAME_RATE,
            self.modal, _basis(int(self.config["n_bands"])), np.uint64(int(seed) & 0x7FFFFFFFFFFFFFFF), n_samples is None,
        )  # fmt: skip
        wash_rate = self.config.get("wash_decay_db_s")
        if wash_rate and "wash_db" in self.arrays:
            audio = self._with_wash(audio, midi, float(velocity), float(level_db), n_on, off_s - on_s, int(sample_rate),
                                    int(seed), n_samples, float(wash_rate))  # fmt: skip
        motor = self.config.get("motor")
        if motor and audio.size > n_on:  # the level's modulation, from the onset (see below)
            t = np.arange(audio.size - n_on, dtype=np.float64) / sample_rate
            db = motor["depth_db"] * np.cos(2.0 * np.pi * motor["rate_hz"] * t + motor["phase"])
            audio[n_on:] *= np.power(10.0, db / 20.0).astype(np.float32)
        return audio

    def _with_wash(self, audio: np.ndarray, midi: float, velocity: float, level_db: float, n_on: int, held_s: float,
                   sample_rate: int, seed: int, n_samples: int | None, rate: float) -> np.ndarray:  # fmt: skip
        """``audio`` plus the note's wash (:mod:`partita.render.strings_wash`) from the onset: the
        ``wash_db`` table read at (``midi``, ``velocity``), its bands (0 to NOISE_TOP_HZ) read at
        the render's (0 to half the sample rate); longer where the wash outlasts the modes
        (unless ``n_samples`` fixes the length)."""
        from partita.render.strings_wash import OFF_DB, wash_audio

        db = self.read("wash_db", "PVN", midi, velocity)
        nb = db.size
        db = np.interp(np.linspace(0.0, sample_rate / 2.0, nb), np.linspace(0.0, NOISE_TOP_HZ, nb), db, right=OFF_DB)
        release = float(self.read("release_db_s", TABLES["release_db_s"], midi, velocity))
        wash = wash_audio(db, decay_db_s=rate, release_db_s=release, level_db=level_db, off_s=held_s,
                          sample_rate=sample_rate, seed=(seed ^ 0x5EED_0F_3A5F) & 0x7FFFFFFFFFFFFFFF, basis=_basis(nb))  # fmt: skip
        if wash.size == 0:
            return audio
        n = n_samples if n_samples is not None else max(audio.size, n_on + wash.size)
        if n > audio.size:
            audio = np.concatenate([audio, np.zeros(n - audio.size, np.float32)])
        m = min(wash.size, n - n_on)
        if m > 0:
            audio[n_on : n_on + m] += wash[:m]
        return audio

    def _pack(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The tables as one float64 [P, V, C] array (columns in ``_PACK_ORDER``, a table without
        a velocity axis repeated along it), which columns have a velocity axis, and the knots;
        made once per model."""
        if self._packed is None:
            p, v = len(self.config["pitch_knots"]), len(self.config["velocity_knots"])
            cols, has_v = [], []
            tables = self.tables()
            for name in _PACK_ORDER + tuple(t for t in tables if t not in _PACK_ORDER):  # a modal model's ratio last
                axes = tables[name]
                t = np.asarray(self.arrays[name], np.float64).reshape(p, v if "V" in axes else 1, -1)
                cols.append(np.broadcast_to(t, (p, v, t.shape[2])))
                has_v += ["V" in axes] * t.shape[2]
            packed = (np.ascontiguousarray(np.concatenate(cols, axis=2)), np.array(has_v),
                      np.asarray(self.config["pitch_knots"], np.float64), np.asarray(self.config["velocity_knots"], np.float64))  # fmt: skip
            object.__setattr__(self, "_packed", packed)
        return self._packed


def _median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a non-empty 1-d array without NaNs, bit for bit (the middle
    value, or the mean of the two middle ones in the array's dtype), without ``np.median``'s
    checks (its NaN check imports ``numpy.ma``, 11 ms of a render's start)."""
    n = x.size
    if n % 2:
        return float(np.partition(x, n // 2)[n // 2])
    part = np.partition(x, [n // 2 - 1, n // 2])
    return float(np.mean(part[n // 2 - 1 : n // 2 + 1]))


class StringDecoder:
    """A string model in the render path: :meth:`render_phrase` turns one phrase's curves into
    audio (the stems call it instead of ``synthesize(decode(...))``)."""

    def __init__(self, model: StringModel, instrument: str | None = None) -> None:
        self.model = model
        self.instrument = instrument or str(model.config.get("instrument", ""))
        self.decoder_id = f"strings:{self.instrument or Path(model.path).stem}"

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, sha256: str | None = None) -> StringDecoder:
        """Load a weight file (see :meth:`StringModel.from_file`)."""
        return cls(StringModel.from_file(path, sha256=sha256))

    def fingerprint(self) -> str:
        """sha256 of the weight file."""
        return self.model.sha256

    @property
    def weights(self) -> StringModel:
        """The model (its ``path`` is the weight file: provenance records it)."""
        return self.model

    def decode(self, curves: Any, *, sample_rate: int) -> Any:
        """Not available: a string model renders audio directly (:meth:`render_phrase`)."""
        raise ConfigError(f"{self.decoder_id} renders notes itself (render_phrase), it has no SynthParams")

    def note_of(self, curves: Any) -> dict[str, float]:
        """The note a phrase's curves play: f0 (median where sounding), peak level in the first
        60 ms after the onset, velocity (that level through the performer's dynamics) and the
        onset and note-off in seconds from the phrase's first frame."""
        from partita.render.performance import STYLES
        from partita.render.timbres import style_of

        loud = np.asarray(curves.loudness_db, np.float64)
        start_s = curves.start_frame / curves.frame_rate
        on_s = max(0.0, float(curves.onset_s) - start_s) if curves.onset_s is not None else 0.0
        i0 = int(on_s * curves.frame_rate)
        head = loud[i0 : i0 + max(2, int(0.06 * curves.frame_rate))]
        level = float(head.max()) if head.size else float(loud.max())
        sounding = loud > level - 40.0
        f0_all = np.asarray(curves.f0_hz)
        f0 = _median(f0_all[sounding]) if sounding.any() else _median(f0_all)
        try:
            style = STYLES[style_of(self.instrument)]
        except Exception:  # noqa: BLE001 - a user's instrument name: the piano's dynamics
            style = STYLES["piano"]
        vel = 112.0 - (style.db_ff - level) * (112.0 - 33.0) / max(style.db_range, 1e-6)
        if curves.end_s is not None and curves.end_s > curves.onset_s:
            off_s = float(curves.end_s) - start_s
        else:  # curves made without a note-off: the last frame above -100 dB
            loud_frames = np.nonzero(loud > -100.0)[0]
            off_s = (loud_frames[-1] + 1 if loud_frames.size else curves.n_frames) / curves.frame_rate
        return {"f0_hz": f0, "level_db": level, "velocity": float(np.clip(vel, 1.0, 127.0)), "on_s": on_s,
                "off_s": max(off_s, on_s + 0.01)}  # fmt: skip

    def render_phrase(self, curves: Any, *, sample_rate: int) -> np.ndarray:
        """One phrase (one note) as float32 (1, n) audio, sample 0 at the phrase's first frame."""
        n = self.note_of(curves)
        return self.model.note(f0_hz=n["f0_hz"], velocity=n["velocity"], level_db=n["level_db"], on_s=n["on_s"],
                               off_s=n["off_s"], sample_rate=sample_rate, seed=curves.seed)[None, :]  # fmt: skip


def warmup() -> None:
    """Compile (or load from numba's cache) the string models' kernels."""
    from partita.render.strings_kernel import warmup as _warmup

    _warmup()
    one = np.ones(2)
    _note_rows(np.zeros((1, 1, 7)), np.zeros(7, np.bool_), one[:1], one[:1], 1, 100.0, 43.35, 80.0, -20.0, 0, 10,
               48000, 100, 1, 0.0, 0.01, _NOISE_FRAME_RATE, False)  # fmt: skip
