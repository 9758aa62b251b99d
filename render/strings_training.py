"""Fit a string model from a soundfont and export it with its model card, as
``partita train-instrument`` does for a struck or plucked instrument (the fit itself is
:mod:`partita.render.strings_fit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from partita.render.strings import KIND
from partita.render.strings_fit import FAMILY_SETTINGS, FIT_VELOCITIES, NOISE_TAUS_S, fit_string_model

__all__ = ["train_string_model"]


def _card(name: str, *, sha256: str, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray], n_notes: int,
          seconds_audio: float, seconds: float, data_desc: str, licence: str, command: str) -> str:  # fmt: skip
    from partita.checkpoint import FORMAT, FORMAT_VERSION

    modal = "ratio" in arrays
    if modal:  # a modal (bars) model: each mode's ratio to the pitch per register
        head = "| MIDI | mode ratios | release (dB/s) |\n| --- | --- | --- |"
        rows = "\n".join(f"| {int(p)} | {', '.join(f'{x:.3g}' for x in rat)} | {r:.0f} |"
                         for p, rat, r in zip(config["pitch_knots"], arrays["ratio"], arrays["release_db_s"]))  # fmt: skip
        partials = (f"{config['n_partials']} modes at learned ratios to the pitch (found recurring over the notes: "
                    f"{', '.join(f'{x:.3g}' for x in config['mode_template'])})")  # fmt: skip
    else:
        b = 10.0 ** arrays["log10_b"].astype(np.float64)
        head = "| MIDI | B (inharmonicity) | detune (cents) | release (dB/s) |\n| --- | --- | --- | --- |"
        rows = "\n".join(f"| {int(p)} | {bb:.2e} | {d:.2f} | {r:.0f} |"
                         for p, bb, d, r in zip(config["pitch_knots"], b, arrays["detune_cents"], arrays["release_db_s"]))  # fmt: skip
        partials = f"{config['n_partials']} partials at\n  `k f0 sqrt(1 + B k^2)`"
    n_values = sum(int(a.size) for a in arrays.values())
    if config["family"] == "piano":
        strings = (f"1-3 strings per note (1 below MIDI 35, 2 below 55, 3 above) detuned by the measured detune x "
                   f"{config['detune_scale']:g} (the scale chosen by the spectral distance of renders of fitted notes: "
                   f"{config['detune_scores']}; 0 renders one string)")  # fmt: skip
    elif modal:
        strings = "one bar, tube or membrane per note"
        if config.get("wash_decay_db_s"):  # render/strings_wash.py
            strings += (f", a wash of noise between the modes (the table `wash_db`: each band's level 0.3 s after the onset, "
                        f"measured between the modes; decaying at {config['wash_decay_db_s']:g} dB/s, the damper's rate added after the note-off)")  # fmt: skip
        if config.get("motor"):  # render/strings_motor.py
            m = config["motor"]
            strings += (f", the motor's swing of the level ({m['rate_hz']:g} Hz, {m['depth_db']:g} dB, phase {m['phase']:g} at the onset; "
                        f"`render/strings_motor.py`)")  # fmt: skip
    else:
        strings = "one string per note"
    return f"""# String model: {name}

- File: `{name}.safetensors` (safetensors, arrays only; checkpoint format `{FORMAT}` version {FORMAT_VERSION}, kind `{KIND}`)
- sha256: `{sha256}`
- Model: modal synthesis of a {config['family']} {'instrument' if modal else 'string'} (`partita.render.strings`): {partials}, each with two decays (a slow and a prompt component: onset level and
  dB/s) per pitch and velocity, a damper release per register, {strings},
  and a noise burst ({config['n_bands']} bands) at the onset, decaying with the time constant
  {config['noise_tau_s'] * 1000:g} ms (chosen among {', '.join(f'{t * 1000:g}' for t in NOISE_TAUS_S)} ms by the spectral
  distance of renders of fitted notes: {config['noise_tau_scores']}).
- Tables over {len(config['pitch_knots'])} pitch knots (MIDI {int(config['pitch_knots'][0])}-{int(config['pitch_knots'][-1])})
  x {len(config['velocity_knots'])} velocity knots ({', '.join(str(int(v)) for v in config['velocity_knots'])}): {n_values:,} values
- Rendered with numpy and numba only (no torch).

## Data and licence
{data_desc}
Licence of the data: {licence}. {n_notes} notes ({seconds_audio:.0f} s of audio) analysed.

## Command
```
{command}
```
Fitting (rendering, analysis, least squares) took {seconds:.0f} s on one CPU core.

## Fitted per register

{head}
{rows}

Quality against the soundfont on held-out notes: `benchmarks/results/string_models.md`.
"""


def train_string_model(source: str, name: str, *, program: int | None, family: str, out_dir: Path,
                       command: str | None = None, progress: Callable[[str, str], None] | None = None,
                       bank: int = 0, technique: str | None = None) -> Any:  # fmt: skip
    """Fit a string model of catalog instrument ``name`` from a soundfont and export it to
    ``out_dir`` (``NAME.safetensors``, its card ``NAME.md``, ``manifest.json``), as
    ``partita train-instrument`` does for a struck or plucked instrument. With ``technique``
    (``pizzicato``) the files and the manifest entry are ``NAME_TECHNIQUE``: the model the
    renderer plays the notes of that technique with (``render/techniques.py``).

    Returns an :class:`~partita.render.instrument_training.InstrumentTrainingResult` (``steps``
    = notes analysed; ``val_loss`` = RMS error in dB of the onset levels of the fitted tables
    against the measured partials within 40 dB of the strongest, on the fitted notes).
    """
    import time

    from partita._fileio import atomic_write_text
    from partita.checkpoint import write_checkpoint
    from partita.render.training_io import InstrumentTrainingResult, soundfont_target, update_manifest

    say = progress or (lambda stage, message: None)
    from partita.render.training_io import soundfont_credit

    program, midi_range = soundfont_target(name, program, default_range=(36, 96))
    t0 = time.process_time()
    r = fit_string_model(soundfont=source, name=name, program=program, family=family, midi_range=midi_range,
                         log=lambda s: say("data", s), bank=bank)  # fmt: skip
    seconds = time.process_time() - t0
    src = Path(source)
    credit, licence = soundfont_credit(src)
    st = FAMILY_SETTINGS[family]
    cmd = command or f"partita train-instrument {source} --name {name}" + (f" --technique {technique}" if technique else "")
    if technique:
        r["config"] = {**r["config"], "instrument": name, "technique": technique}
        name = f"{name}_{technique}"
    preset = f"program {program}" + (f" of bank {bank}" if bank else "") + f" ({r['preset']})"  # the name fluidsynth gave it while fitting
    data_desc = (f"{src.name} ({credit}) {preset}, rendered by fluidsynth (reverb and chorus off, 48 kHz): single notes every "
                 f"{st['pitch_step']} semitones over MIDI {midi_range[0]}-{midi_range[1]} at velocities "
                 f"{', '.join(map(str, FIT_VELOCITIES))}, held {st['hold_s']:g} s and released.")  # fmt: skip
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.safetensors"
    sha = write_checkpoint(target, r["arrays"], kind=KIND, config=r["config"],
                           data={"description": data_desc, "licence": licence, "card": f"{name}.md"},
                           training={"command": cmd, "notes": r["n_notes"], "seconds": round(seconds, 1)})  # fmt: skip
    card = out_dir / f"{name}.md"
    atomic_write_text(card, _card(name, sha256=sha, config=r["config"], arrays=r["arrays"], n_notes=r["n_notes"],
                                  seconds_audio=r["seconds_audio"], seconds=seconds, data_desc=data_desc, licence=licence,
                                  command=cmd))  # fmt: skip
    n_values = sum(int(a.size) for a in r["arrays"].values())
    manifest = update_manifest(out_dir, name, {"file": target.name, "sha256": sha, "card": card.name, "n_params": n_values,
                                               "kind": KIND})  # fmt: skip
    say("export", f"{target} (sha256 {sha})")
    return InstrumentTrainingResult(weights=target, sha256=sha, card=card, manifest=manifest, steps=int(r["n_notes"]),
                                    seconds=float(seconds), val_loss=float(r["fit_rmse_db"]), curve=(), calibration={})  # fmt: skip
