"""Trained neural decoders in the render path: numpy inference from exported arrays, no torch.

A neural decoder (trained by :mod:`partita.render.neural`) is a small causal convolutional
network that maps each frame's (f0, A-weighted loudness, time since the note's onset) to an
overall amplitude, a harmonic distribution and noise band magnitudes -- the same :class:`~partita.render.controls.SynthParams` the
hand-designed timbres produce, so the numba kernels render it unchanged ("controls, then
signal"). This module reads its weight file and runs it with a numba kernel (:mod:`partita.render.neural_kernel`).

Weight files are ``instrument-decoder`` checkpoints in the one checkpoint format of
:mod:`partita.checkpoint` (safetensors read without torch, no pickle, plus a JSON header with the
kind, format version, config, training data and tensors' sha256). A decoder's header adds its
loudness calibration::

    "calibration": {"loudness_a": {"coef": [c0, c1, c2, c3], ...}}

:func:`load_weights` refuses what :func:`partita.checkpoint.read_checkpoint` refuses (another
format, version or kind, a corrupt file, and -- for shipped weights, pinned in
``instruments/weights/manifest.json`` -- a file whose sha256 is not the pinned one) and a header
without a calibration; every refusal names the file.

Features and outputs (identical in torch, ``tests/test_neural_infer.py``):

* inputs per frame: ``pitch = (midi(f0) - 60) / 24``, ``level = (max(loudness_a_db, -100) + 40) / 20``
  of the A-weighted loudness, and ``onset = 1 - exp(-t / 0.2 s)`` of the time ``t`` since the
  last note onset (:func:`onset_feature`; 1 before the first). In training the A-weighted
  loudness is measured from the audio; in the render path it is estimated from the
  performer's RMS level by the decoder's calibration (:func:`calibrated_loudness_a`, fitted on
  the training frames), and the onsets are detected on the performer's curves by the same
  detector that finds them in the measured controls;
* network: 1x1 input projection, residual blocks ``h += W2 relu(causal_conv_d(h))`` with
  dilations ``config.dilations`` (zero padding at the phrase start), then a linear head;
* head -> ``log amplitude = ln(10) loudness_db / 20 + 12 tanh(o_amp / 12)`` (anchored to the
  RMS level ``loudness_db``, the performer's dynamics), harmonic logits (softmax, harmonics
  at or above 96 % of Nyquist removed), ``log noise_b = ln(10) loudness_db / 20 + 12 tanh(o_noise_b / 12)``
  at ``n_bands`` frequencies from 0 to 24 kHz (interpolated onto the render's band grid).

>>> import numpy as np
>>> from partita.render.controls import ControlCurves
>>> dec = shipped_decoder("violin")
>>> dec is None or dec.decode(ControlCurves(part_id="v", voice=1, start_frame=0, frame_rate=250.0,
...     f0_hz=np.full(5, 440.0), loudness_db=np.full(5, -20.0), brightness=np.full(5, 0.5),
...     noise=np.zeros(5), seed=0), sample_rate=48000).n_harmonics == 60
True
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from partita.checkpoint import Checkpoint, read_checkpoint
from partita.errors import CheckpointError, ConfigError
from partita.render.controls import SILENCE_DB, ControlCurves, SynthParams

__all__ = [
    "KIND",
    "NOISE_TOP_HZ",
    "NeuralDecoder",
    "LoadedWeights",
    "load_weights",
    "INPUTS",
    "features",
    "pitch_feature",
    "note_onsets",
    "onset_feature",
    "calibrated_loudness_a",
    "forward",
    "heads_to_params",
    "shipped_decoder",
    "decoder_for",
    "shipped_manifest",
]

#: The checkpoint kind of a decoder's weight file (:mod:`partita.checkpoint`).
KIND = "instrument-decoder"
#: The decoder's per-frame inputs, in order.
INPUTS = ("pitch", "loudness_a", "onset")
#: Time constant of the onset feature (s).
ONSET_TAU_S = 0.2
#: Onset detector: a note starts where the RMS level rises through ``ONSET_LEVEL_DB``, where
#: f0 moved more than ``ONSET_CENTS`` over the last ``ONSET_LAG_S``, or where the level rose by
#: more than ``ONSET_JUMP_DB`` over that lag; onsets closer than the lag are merged.
ONSET_LEVEL_DB = -60.0
ONSET_CENTS = 70.0
ONSET_JUMP_DB = 10.0
ONSET_LAG_S = 0.08
#: The decoder's noise bands span 0 Hz to this frequency (Nyquist of 48 kHz) whatever the
#: render's sample rate; :func:`heads_to_params` resamples them onto the render's band grid.
NOISE_TOP_HZ = 24000.0
_LN10_20 = math.log(10.0) / 20.0


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True, slots=True)
class LoadedWeights(Checkpoint):
    """An ``instrument-decoder`` checkpoint read and checked, its arrays as float32; ``config``
    is a dict of :class:`partita.render.neural.DecoderConfig`."""

    @property
    def loudness_a_coef(self) -> tuple[float, float, float, float]:
        """The RMS-level-to-A-weighted-loudness calibration (see :func:`calibrated_loudness_a`)."""
        return tuple(float(c) for c in self.header["calibration"]["loudness_a"]["coef"])  # type: ignore[return-value]


def load_weights(path: str | os.PathLike[str], *, sha256: str | None = None) -> LoadedWeights:
    """Read and check a neural decoder weight file (an ``instrument-decoder`` checkpoint).

    Parameters
    ----------
    path
        A local ``.safetensors`` file.
    sha256
        The pinned hex sha256 of the file's bytes, when known (shipped weights).

    Raises
    ------
    CheckpointError
        Naming ``path``: everything :func:`partita.checkpoint.read_checkpoint` refuses, and a
        header without a valid loudness calibration.
    """
    ck = read_checkpoint(path, kind=KIND, sha256=sha256)
    coef = (ck.header.get("calibration") or {}).get("loudness_a", {}).get("coef")
    if not (isinstance(coef, list) and len(coef) == 4 and all(isinstance(c, (int, float)) and math.isfinite(c) for c in coef)):
        raise CheckpointError("the header has no valid loudness calibration (calibration.loudness_a.coef, 4 numbers)", file=ck.path)
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ck.arrays.items()}
    return LoadedWeights(path=ck.path, header=ck.header, arrays=arrays, sha256=ck.sha256)


# ---------------------------------------------------------------------------------------------
# The network


def features(f0_hz: np.ndarray, loudness_a_db: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Network inputs: float32 [n_frames, 3] = (pitch, level, onset), see the module docstring.

    >>> features(np.array([261.6256]), np.array([-40.0]), np.array([0.5])).round(4).tolist()
    [[0.0, 0.0, 0.5]]
    """
    level = (np.maximum(np.asarray(loudness_a_db, np.float64), -100.0) + 40.0) / 20.0
    return np.stack([pitch_feature(f0_hz), level, np.asarray(onset, np.float64)], axis=1).astype(np.float32)


def pitch_feature(f0_hz: np.ndarray) -> np.ndarray:
    """``(midi(f0) - 60) / 24``, float64: the network's pitch input and the calibration's pitch
    term (f0 below 1 Hz reads as 1 Hz).

    >>> pitch_feature(np.array([261.6256, 1046.5023])).round(4).tolist()
    [0.0, 1.0]
    """
    midi = 69.0 + 12.0 * np.log2(np.maximum(np.asarray(f0_hz, np.float64), 1.0) / 440.0)
    return (midi - 60.0) / 24.0


def note_onsets(f0_hz: np.ndarray, loudness_db: np.ndarray, *, frame_rate: float = 250.0) -> np.ndarray:
    """Causal note-onset detector on frame-rate controls: bool [n_frames].

    Frame ``i`` starts a note where the RMS level (``loudness_db``, dB re a full-scale sine)
    rises through :data:`ONSET_LEVEL_DB`, or, while sounding, where f0 moved by more than
    :data:`ONSET_CENTS` or the level rose by more than :data:`ONSET_JUMP_DB` since
    :data:`ONSET_LAG_S` earlier (slower than any vibrato, crescendo or legato glide of the
    performer, fast enough for a slur's pitch change or a re-attack). The first frame of a
    run of such frames is the onset, and onsets closer than the lag are merged. The same
    detector runs on controls measured from audio (training) and on the performer's curves
    (rendering), so the decoder sees one definition.

    >>> f0 = np.r_[np.full(50, 220.0), np.full(50, 247.0)]; ld = np.r_[np.full(10, -120.0), np.full(90, -20.0)]
    >>> np.nonzero(note_onsets(f0, ld))[0].tolist()
    [10, 50]
    """
    f0 = np.log2(np.maximum(np.asarray(f0_hz, np.float64), 1.0)) * 1200.0
    ld = np.asarray(loudness_db, np.float64)
    n = len(f0)
    lag = max(1, int(round(ONSET_LAG_S * frame_rate)))
    sounding = ld > ONSET_LEVEL_DB
    prev_sounding = np.r_[False, sounding[:-1]]
    back = np.maximum(np.arange(n) - lag, 0)
    moved = np.abs(f0 - f0[back]) > ONSET_CENTS
    jumped = (ld - np.maximum(ld[back], ONSET_LEVEL_DB)) > ONSET_JUMP_DB
    cand = sounding & (~prev_sounding | moved | jumped)
    from partita.render.neural_kernel import merge_onsets

    out = np.zeros(n, bool)
    merge_onsets(cand & ~np.r_[False, cand[:-1]], prev_sounding, lag, out)  # first frame of each run
    return out


def onset_feature(f0_hz: np.ndarray, loudness_db: np.ndarray, *, frame_rate: float = 250.0) -> np.ndarray:
    """Time since the last note onset (:func:`note_onsets`), squashed: float32 [n_frames] in [0, 1],
    ``1 - exp(-t / ONSET_TAU_S)``; 1 before the first onset.

    >>> f0 = np.full(60, 220.0); ld = np.r_[np.full(10, -120.0), np.full(50, -20.0)]
    >>> onset_feature(f0, ld)[[9, 10, 60 - 1]].round(3).tolist()
    [1.0, 0.0, 0.625]
    """
    on = note_onsets(f0_hz, loudness_db, frame_rate=frame_rate)
    n = len(on)
    idx = np.where(on, np.arange(n), -1)
    last = np.maximum.accumulate(idx) if n else idx
    t = np.where(last >= 0, (np.arange(n) - last) / float(frame_rate), np.inf)
    return (1.0 - np.exp(-t / ONSET_TAU_S)).astype(np.float32)


def calibrated_loudness_a(loudness_db: np.ndarray, f0_hz: np.ndarray, coef: tuple[float, ...] | list[float]) -> np.ndarray:
    """The A-weighted loudness a decoder expects, estimated from an RMS level: float64 [n].

    ``L_A = L + c0 + c1 (L + 40) / 20 + c2 p + c3 p^2`` with ``L = max(loudness_db, -120)`` (dB
    re a full-scale sine's RMS) and ``p = (midi(f0) - 60) / 24``; the coefficients are fitted by
    least squares on the voiced training frames (:func:`partita.render.neural.fit_loudness_calibration`)
    and saved in the weight file's header. A-weighting makes a low instrument read 20-30 dB under
    its RMS level and a violin close to it; the performer's dynamics stay RMS levels.

    >>> calibrated_loudness_a(np.array([-20.0]), np.array([261.6256]), [-3.0, 1.0, 0.0, 0.0]).tolist()
    [-22.0]
    """
    L = np.maximum(np.asarray(loudness_db, np.float64), -120.0)
    p = pitch_feature(f0_hz)
    c0, c1, c2, c3 = (float(c) for c in coef)
    return L + c0 + c1 * (L + 40.0) / 20.0 + c2 * p + c3 * p * p


def forward(arrays: Mapping[str, np.ndarray], config: Mapping[str, Any], x: np.ndarray) -> np.ndarray:
    """Run the network: float32 features [n_frames, 3] -> head outputs [n_frames, 1 + K + B].

    Column 0 is ``o_amp``, then ``K = n_harmonics`` harmonic logits, then ``B = n_bands``
    noise log offsets. One numba kernel over the whole phrase (:mod:`partita.render.neural_kernel`):
    it releases the GIL and sums in one fixed order, so render threads run side by side and
    the result does not depend on how many there are.
    """
    from partita.render.neural_kernel import forward_packed, pack

    return forward_packed(pack(arrays, config), x)


def heads_to_params(out: np.ndarray, *, f0_hz: np.ndarray, loudness_db: np.ndarray, n_harmonics: int,
                    n_bands: int, sample_rate: int, render_bands: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Head outputs -> (amplitude [n], harmonic_distribution [n, K], noise_magnitudes [n, render_bands]).

    Silent frames (``loudness_db <= SILENCE_DB``) get amplitude and noise 0. Computed in float64
    by a numba kernel (:func:`partita.render.neural_kernel.heads`), rounded to float32.
    """
    amp, dist, mags, _ = _heads(out, f0_hz, loudness_db, n_harmonics, n_bands, sample_rate, render_bands, 0)
    return amp, dist, mags


def _heads(out: np.ndarray, f0_hz: np.ndarray, loudness_db: np.ndarray, n_harmonics: int, n_bands: int,
           sample_rate: int, render_bands: int, amps_cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`heads_to_params` and, when ``amps_cols`` > 0, ``amp[:, None] * dist`` padded with
    zero columns to ``amps_cols`` (float32 [n, amps_cols]; else [0, 0])."""
    from partita.render.neural_kernel import heads

    n = out.shape[0]
    amp = np.empty(n, np.float32)
    dist = np.empty((n, n_harmonics), np.float32)
    mags = np.empty((n, render_bands), np.float32)
    amps = np.empty((n, amps_cols) if amps_cols else (0, 0), np.float32)
    heads(np.ascontiguousarray(out, np.float32), np.ascontiguousarray(f0_hz, np.float64),
          np.ascontiguousarray(loudness_db, np.float64), float(SILENCE_DB), float(sample_rate),
          _grid(NOISE_TOP_HZ, n_bands), _grid(sample_rate / 2.0, render_bands), amp, dist, mags, amps)  # fmt: skip
    return amp, dist, mags, amps


@functools.lru_cache(maxsize=16)
def _grid(top_hz: float, n: int) -> np.ndarray:
    """``np.linspace(0, top_hz, n)``, made once (read only)."""
    g = np.linspace(0.0, top_hz, n)
    g.setflags(write=False)
    return g


def _inputs(f0_hz: np.ndarray, loudness_db: np.ndarray, coef: tuple[float, ...], frame_rate: float) -> np.ndarray:
    """``features(f0, calibrated_loudness_a(loudness, f0, coef), onset_feature(f0, loudness))``
    bit for bit, in one numba pass (:func:`partita.render.neural_kernel.input_features`); the
    logarithms and the exponential stay numpy's."""
    from partita.render.neural_kernel import input_features

    f0 = np.maximum(np.asarray(f0_hz, np.float64), 1.0)
    n = f0.size
    x = np.empty((n, 3), np.float32)
    arg = np.empty(n, np.float64)
    lag = max(1, int(round(ONSET_LAG_S * frame_rate)))
    input_features(np.log2(f0), np.log2(f0 / 440.0), np.asarray(loudness_db), np.asarray(coef, np.float64),
                   ONSET_LEVEL_DB, ONSET_CENTS, ONSET_JUMP_DB, lag, float(frame_rate), ONSET_TAU_S, x, arg)  # fmt: skip
    np.exp(arg, out=arg)
    x[:, 2] = 1.0 - arg
    return x


# ---------------------------------------------------------------------------------------------
# The decoder


@dataclass(frozen=True, slots=True, eq=False)
class NeuralDecoder:
    """A trained decoder: implements the render decoder interface (``decode``, ``fingerprint``).

    Build it with :meth:`from_file` (or :func:`shipped_decoder`).
    """

    decoder_id: str
    weights: LoadedWeights

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, sha256: str | None = None) -> NeuralDecoder:
        """Load a weight file (see :func:`load_weights`)."""
        w = load_weights(path, sha256=sha256)
        return cls(decoder_id=f"neural:{w.config.get('instrument') or Path(path).stem}", weights=w)

    @property
    def instrument(self) -> str:
        """The catalog instrument id the weights were trained for ('' when unknown)."""
        return str(self.weights.config.get("instrument", ""))

    def fingerprint(self) -> str:
        """sha256 of the weight file."""
        return self.weights.sha256

    def inputs(self, curves: ControlCurves) -> np.ndarray:
        """The network's features [n_frames, 3] for the performer's curves: the calibrated
        A-weighted loudness of its RMS level and the onsets detected on its curves."""
        return _inputs(curves.f0_hz, curves.loudness_db, self.weights.loudness_a_coef, curves.frame_rate)

    def decode(self, curves: ControlCurves, *, sample_rate: int) -> SynthParams:
        """Decode one phrase (shapes as :class:`~partita.render.controls.SynthParams`)."""
        from partita.render.timbres import N_BANDS

        if sample_rate <= 0:
            raise ConfigError(f"sample rate {sample_rate} must be positive")
        cfg = self.weights.config
        x = self.inputs(curves)
        out = forward(self.weights.arrays, cfg, x)
        amp, dist, mags = heads_to_params(
            out, f0_hz=curves.f0_hz, loudness_db=curves.loudness_db, n_harmonics=int(cfg["n_harmonics"]),
            n_bands=int(cfg["n_bands"]), sample_rate=int(sample_rate), render_bands=N_BANDS,
        )  # fmt: skip
        return SynthParams(f0_hz=curves.f0_hz, amplitude=amp, harmonic_distribution=dist, noise_magnitudes=mags,
                           start_frame=curves.start_frame, frame_rate=curves.frame_rate, seed=curves.seed)  # fmt: skip

    def render_phrase(self, curves: ControlCurves, *, sample_rate: int) -> np.ndarray:
        """One phrase's audio, float32 (1, n): ``synthesize(self.decode(curves), ...)`` bit for
        bit, without the intermediate :class:`SynthParams` and its checks (the render path's
        entry, see :func:`partita.render.part_audio._phrase_audio`)."""
        from partita.render.neural_kernel import pack, phrase_audio
        from partita.render.frames import _ratio
        from partita.render.synth import _GROUP, _basis
        from partita.render.timbres import N_BANDS

        if sample_rate <= 0:
            raise ConfigError(f"sample rate {sample_rate} must be positive")
        cfg = self.weights.config
        n_harm = int(cfg["n_harmonics"])
        sr = int(sample_rate)
        w = pack(self.weights.arrays, cfg)
        f0 = np.ascontiguousarray(curves.f0_hz, np.float32)
        if not f0.flags.writeable:  # one type of array for the kernel (its ahead-of-time build)
            f0 = f0.copy()
        # one kernel from the features on: the network, the heads, the harmonics and the noise
        return phrase_audio(
            self.inputs(curves), w.w_in, w.b_in, w.conv_w, w.conv_b, w.mix_w, w.mix_b, w.dilations, w.head_w, w.head_b,
            f0, np.ascontiguousarray(curves.f0_hz, np.float64), np.ascontiguousarray(curves.loudness_db, np.float64),
            float(SILENCE_DB), float(sr), _grid(NOISE_TOP_HZ, int(cfg["n_bands"])), _grid(sr / 2.0, N_BANDS), n_harm,
            n_harm + (-n_harm % _GROUP), _ratio(curves.frame_rate, sr), _basis(N_BANDS),
            np.uint64(curves.seed & 0xFFFFFFFFFFFFFFFF),
        )  # fmt: skip


def shipped_manifest() -> dict[str, Any]:
    """``instruments/weights/manifest.json``: instrument id -> {file, sha256, card} ({} if none)."""
    try:
        text = resources.files("partita.instruments").joinpath("weights", "manifest.json").read_text()
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


@functools.lru_cache(maxsize=64)
def shipped_decoder(instrument_id: str) -> Any:
    """The shipped trained decoder of a catalog instrument, checked against its pinned sha256:
    a :class:`NeuralDecoder`, or a :class:`~partita.render.strings.StringDecoder` where the
    manifest's entry is of kind ``string-model``; None when no weights ship for it."""
    entry = shipped_manifest().get(instrument_id)
    if entry is None:
        return None
    path = resources.files("partita.instruments").joinpath("weights", entry["file"])
    if entry.get("kind") == "string-model":
        from partita.render.strings import StringDecoder

        return StringDecoder.from_file(str(path), sha256=entry["sha256"])
    return NeuralDecoder.from_file(str(path), sha256=entry["sha256"])


def decoder_for(instrument_id: str):
    """The decoder the renderer uses by default: shipped weights, else the designed timbre.

    Setting the environment variable ``PARTITA_NO_NEURAL=1`` selects the designed timbres.

    >>> decoder_for("harpsichord").decoder_id  # a string model (instruments/weights)
    'strings:harpsichord'
    >>> decoder_for("synth_pad").decoder_id  # a designed timbre (render/renderers.toml says why)
    'synth_pad'
    """
    from partita.render.timbres import timbre_for

    if os.environ.get("PARTITA_NO_NEURAL") != "1":
        dec = shipped_decoder(instrument_id)
        if dec is not None:
            return dec
    return timbre_for(instrument_id)


def _from_file(path: str) -> Any:
    """A neural decoder, or a string model when the file's header says ``string-model``."""
    from partita.checkpoint import read_header

    if os.path.isfile(path) and read_header(path).get("kind") == "string-model":
        from partita.render.strings import StringDecoder

        return StringDecoder.from_file(path)
    return NeuralDecoder.from_file(path)


def decoders_for_score(score: Any, specs: list[str]) -> dict[str, Any]:
    """Part id -> decoder for ``partita render --instrument-weights [INSTRUMENT=]PATH`` options
    (a neural decoder's or a string model's weight file).

    A spec without ``INSTRUMENT=`` applies to the instrument named in the file's config. A spec
    that matches no part of the score is refused (naming the file), so a typo is not silent.
    """
    out: dict[str, Any] = {}
    for spec in specs:
        inst, sep, path = spec.partition("=")
        if not sep or os.path.exists(spec):
            inst, path = "", spec
        dec = _from_file(path)
        target = inst or dec.instrument
        parts = [p for p in score.parts if p.instrument == target]
        if not parts:
            present = sorted({p.instrument for p in score.parts})
            raise CheckpointError(f"weights are for {target!r}, but the score's instruments are {present}; "
                               f"use INSTRUMENT=PATH to choose", file=path)  # fmt: skip
        for p in parts:
            out[p.id] = dec
    return out
