"""Mix and master: stems in, a stereo master at a loudness target out.

The chain, per stem then on the bus (every effect is pedalboard's, except the true-peak
safety stage, which pedalboard does not have)::

    stem (mono) -> gain staging -> family EQ -> pan (constant power) --+--> dry bus
                                                   \\-> reverb send --> shared reverb --/
    bus -> gentle compressor -> [gain -> limiter -> true-peak brickwall] x iterations -> master

* **Gain staging**: each stem's integrated loudness (BS.1770, pyloudnorm) is brought to
  ``stem_reference_lufs``, then moved by the score's dynamics (the part's mean velocity relative
  to the ensemble's, scaled by ``dynamics_depth``), its family's gain and any per-part gain.
* **Master**: the bus gain is adjusted, the limiter applied, and integrated loudness and true
  peak measured again, until the loudness is within 0.1 LU of ``target_lufs`` and the true peak
  at or under the ceiling (at most ``max_iterations`` passes); :class:`MasterReport` says
  whether both targets (``lufs_tolerance_lu``) were met.
* **True peak** is measured here in float64 with 4x polyphase oversampling
  (ITU-R BS.1770-4 annex 2), block by block so that a long master needs little memory.

``mix_folder(OUT)`` reads ``OUT/render.json`` and its stems (never writing them), writes
``OUT/mix.wav`` (32-bit float, deterministic bytes, optional RIFF ``LIST/INFO`` record) and
``OUT/mix.json`` (the settings used), both atomically.

The package sits above synthesis and stems and below the pipeline (docs/architecture.md); it
consumes stems and never calls back into rendering. Its modules, by responsibility:

* :mod:`partita.mixing.settings` -- :class:`MixSettings` (``mix.json``) and the family EQ
  presets of ``mix_presets.toml``;
* :mod:`partita.mixing.meters` -- integrated loudness and true peak;
* :mod:`partita.mixing.bus` -- the stems of a render folder, seated, and the mix bus;
* :mod:`partita.mixing.master` -- the iterated limiter and true-peak brickwall;
* :mod:`partita.mixing.folder` -- a render folder in, ``mix.wav`` and ``mix.json`` out.

>>> from partita.mixing import db_to_gain, pan_gains
>>> round(db_to_gain(-6.0206), 4), [round(g, 4) for g in pan_gains(0.0)]
(0.5, [0.7071, 0.7071])
"""

from __future__ import annotations

from partita.mixing.bus import MixStem, mix_stems, pan_gains, read_render_manifest, stems_from_folder
from partita.mixing.folder import MixResult, mix_folder
from partita.mixing.master import MasterReport, master_bus
from partita.mixing.meters import TRUE_PEAK_OVERSAMPLE, db_to_gain, integrated_lufs, true_peak_dbtp
from partita.mixing.settings import FAMILIES, FamilyEQ, MixSettings, load_mix_settings, save_mix_settings

__all__ = [
    "FAMILIES",
    "FamilyEQ",
    "MixSettings",
    "load_mix_settings",
    "save_mix_settings",
    "MixStem",
    "MasterReport",
    "MixResult",
    "TRUE_PEAK_OVERSAMPLE",
    "true_peak_dbtp",
    "integrated_lufs",
    "db_to_gain",
    "pan_gains",
    "stems_from_folder",
    "read_render_manifest",
    "mix_stems",
    "master_bus",
    "mix_folder",
]
