"""What to mix and the mix bus: the stems of a render folder seated in the stereo field, then
gain staging, family EQ, constant-power pan and the shared reverb send, summed in a fixed order.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from partita.errors import FormatError
from partita.mixing.meters import _map, db_to_gain, integrated_lufs
from partita.mixing.settings import MixSettings

__all__ = ["MixStem", "pan_gains", "stems_from_folder", "read_render_manifest", "mix_stems"]


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (-3 dB at centre) left and right gains of ``pan`` in [-1, 1].

    >>> [round(g, 4) for g in pan_gains(0.0)], pan_gains(-1.0)[1] < 1e-12
    ([0.7071, 0.7071], True)
    """
    theta = (min(1.0, max(-1.0, float(pan))) + 1.0) * math.pi / 4.0
    return math.cos(theta), math.sin(theta)


@dataclass(frozen=True, slots=True)
class MixStem:
    """One stem as the mix sees it.

    Parameters
    ----------
    part_id, name, instrument, family
        From the render manifest and the catalog.
    file
        Path of the stem relative to the render folder (``stems/01_violin-i.wav``).
    pan
        Seat in [-1, 1] after width, duplicate spread and overrides.
    dynamics_db
        The part's mean velocity in dB (``40 log10(v / 127)``), or None when the score is unknown.
    files
        All the stems of the part when it was rendered by group (a drum kit's kick, snare,
        hats, toms, cymbals): the mix sums them into the one stem they came from.
    """

    part_id: str
    name: str
    instrument: str
    family: str
    file: str
    pan: float
    dynamics_db: float | None = None
    files: tuple[str, ...] = ()




def _family_of(instrument: str) -> str:
    from partita.instruments import get

    try:
        return get(instrument).family
    except Exception:  # an instrument the catalog does not know mixes with the default EQ
        return "default"


def _catalog_pan(instrument: str) -> float:
    from partita.instruments import get

    try:
        return float(get(instrument).pan)
    except Exception:
        return 0.0


def _part_dynamics_db(part: Any) -> float | None:
    """Duration-weighted mean velocity of a part's notes, in dB (40 log10 v/127)."""
    if not part.notes:
        return None
    w = np.array([float(n.duration) or 1.0 for n in part.notes])
    v = np.array([part.velocity_of(n) for n in part.notes], dtype=np.float64)
    mean = float((w * v).sum() / w.sum())
    return 40.0 * math.log10(max(mean, 1.0) / 127.0)


def stems_from_folder(out_dir: str | os.PathLike[str], *, settings: MixSettings, score: Any = None) -> list[MixStem]:
    """The stems of a render folder (from ``render.json``), seated and with their dynamics.

    ``score`` (optional) supplies each part's dynamics; without it every part gets the same.
    """
    out = Path(out_dir)
    manifest = read_render_manifest(out)
    entries = manifest["stems"]
    parts = {p.id: p for p in score.parts} if score is not None else {}
    groups: dict[str, list[str]] = {}
    for e in entries:  # a part rendered by group: one entry per group, mixed as one stem
        groups.setdefault(e["part_id"], []).append(e["file"])
    entries = [e for e in entries if "piece" not in e or groups[e["part_id"]][0] == e["file"]]
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["instrument"]] = counts.get(e["instrument"], 0) + 1
    seen: dict[str, int] = {}
    stems = []
    for e in entries:
        inst = e["instrument"]
        k = seen.get(inst, 0)
        seen[inst] = k + 1
        pan = _catalog_pan(inst) + (k - (counts[inst] - 1) / 2.0) * settings.duplicate_spread
        pan = max(-1.0, min(1.0, pan * settings.pan_width))
        pan = settings.part_pan.get(e["part_id"], pan)
        part = parts.get(e["part_id"])
        stems.append(MixStem(e["part_id"], e.get("name", e["part_id"]), inst, _family_of(inst), e["file"], pan,
                             _part_dynamics_db(part) if part is not None else None,
                             tuple(groups[e["part_id"]]) if "piece" in e else ()))  # fmt: skip
    return stems


def read_render_manifest(out_dir: Path) -> dict[str, Any]:
    """``render.json`` of a render folder; a FormatError naming the folder when it is not one."""
    path = Path(out_dir) / "render.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("not a partita render folder (no render.json)", file=str(out_dir)) from None
    except (OSError, ValueError) as exc:
        raise FormatError(f"render.json is unreadable: {exc}", file=str(out_dir)) from None
    if not isinstance(data, dict) or data.get("format") != "partita-render" or not isinstance(data.get("stems"), list):
        raise FormatError("render.json is not a partita render manifest", file=str(path))
    return data




def _read_stem(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile's own errors
        raise FormatError(f"cannot read stem: {exc}", file=str(path)) from None
    return np.ascontiguousarray(data.T), int(sr)


def _eq_board(eq: Any) -> Any:
    import pedalboard as pb

    return pb.Pedalboard([
        pb.HighpassFilter(cutoff_frequency_hz=eq.highpass_hz),
        pb.LowShelfFilter(cutoff_frequency_hz=eq.low_shelf_hz, gain_db=eq.low_shelf_db, q=0.707),
        pb.PeakFilter(cutoff_frequency_hz=eq.presence_hz, gain_db=eq.presence_db, q=eq.presence_q),
        pb.HighShelfFilter(cutoff_frequency_hz=eq.high_shelf_hz, gain_db=eq.high_shelf_db, q=0.707),
    ])  # fmt: skip


def mix_stems(
    stems: Sequence[tuple[MixStem, np.ndarray]], *, sample_rate: int, settings: MixSettings
) -> tuple[np.ndarray, dict[str, float], dict[str, float | None]]:
    """Stage, EQ, pan and sum the stems, add the shared reverb and compress the bus.

    Parameters
    ----------
    stems
        (stem, audio) pairs; audio float32 (1, n_samples), all equally long; or (2, n_samples)
        for a stem with its own stereo image (a drum kit), which ``pan`` then balances.
    sample_rate
        Hz.
    settings
        The mix settings.

    Returns
    -------
    bus : float32 (2, n_samples)
        The compressed stereo bus, before the master stage.
    gain_db : dict
        Part id -> gain applied in staging (dB).
    lufs : dict
        Part id -> the stem's measured integrated loudness (None for a silent stem).
    """
    import pedalboard as pb

    n = max((a.shape[1] for _, a in stems), default=0)
    dry = np.zeros((2, n), np.float32)
    send = np.zeros((2, n), np.float32)
    levels = [s.dynamics_db for s, _ in stems if s.dynamics_db is not None]
    mean_dyn = float(np.mean(levels)) if levels else 0.0
    gains: dict[str, float] = {}
    lufs: dict[str, float | None] = {}
    for stem, audio in stems:
        if audio.ndim != 2 or audio.shape[0] not in (1, 2):
            raise FormatError(f"a stem must be mono or stereo, not {audio.shape[0]} channels", file=stem.file)

    def staged(item: tuple[MixStem, np.ndarray]) -> tuple[float, float, np.ndarray | None]:
        stem, audio = item
        loud = integrated_lufs(audio, sample_rate=sample_rate)
        if not math.isfinite(loud):
            return loud, 0.0, None
        eq = settings.eq_for(stem.family)
        g = settings.stem_reference_lufs - loud + eq.gain_db + settings.part_gain_db.get(stem.part_id, 0.0)
        if stem.dynamics_db is not None:
            g += settings.dynamics_depth * (stem.dynamics_db - mean_dyn)
        return loud, g, _eq_board(eq)(np.ascontiguousarray(audio * np.float32(db_to_gain(g))), sample_rate)

    for (stem, _), (loud, g, x) in zip(stems, _map(staged, list(stems))):  # summed in the stems' order
        lufs[stem.part_id] = loud if math.isfinite(loud) else None
        gains[stem.part_id] = g
        if x is None:
            continue
        eq = settings.eq_for(stem.family)
        left, right = pan_gains(stem.pan)
        if x.shape[0] == 2:  # its own stereo image: pan balances it (unity at the centre)
            left, right = min(1.0, math.sqrt(2.0) * left), min(1.0, math.sqrt(2.0) * right)
        m = x.shape[1]
        x_l, x_r = x[0], x[-1]
        dry[0, :m] += left * x_l
        dry[1, :m] += right * x_r
        if eq.reverb_send_db > -60.0:
            s = np.float32(db_to_gain(eq.reverb_send_db))
            send[0, :m] += s * left * x_l
            send[1, :m] += s * right * x_r
    if n and send.any():
        verb = pb.Reverb(room_size=settings.reverb_room_size, damping=settings.reverb_damping,
                         wet_level=1.0, dry_level=0.0, width=settings.reverb_width)  # fmt: skip
        dry += np.float32(db_to_gain(settings.reverb_return_db)) * verb(send, sample_rate)
    comp = pb.Compressor(threshold_db=settings.comp_threshold_db, ratio=settings.comp_ratio,
                         attack_ms=settings.comp_attack_ms, release_ms=settings.comp_release_ms)  # fmt: skip
    bus = comp(dry, sample_rate) if n else dry
    return np.ascontiguousarray(bus, dtype=np.float32), gains, lufs
