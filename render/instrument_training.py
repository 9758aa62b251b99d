"""The whole instrument-decoder training job, as ``partita train-instrument`` and
:func:`partita.train_instrument` run it: build the data from soundfonts or recordings, one
source or several (:mod:`partita.render.training_sources`; cached),
train (the loop is :func:`partita.render.neural.train`), export the weights, write the model
card and update the folder's ``manifest.json``. See ``docs/neural_renderers.md``.

>>> InstrumentTrainingResult.__dataclass_fields__.keys() >= {"weights", "sha256", "card"}
True
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from partita.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from partita.render.neural import DecoderConfig, DecoderTrainConfig

from partita.render.techniques import TECHNIQUES
from partita.render.training_io import InstrumentTrainingResult, Progress, update_manifest
from partita.render.training_sources import (SourcesDescription, TrainingSource, cache_key, describe_sources, is_soundfont,
                                             source_paths, training_sources)

__all__ = ["InstrumentTrainingResult", "prepare_data", "train_instrument", "update_manifest", "model_family"]

def _selection(tcfg: DecoderTrainConfig, result: Mapping[str, Any]) -> str:
    """The card's lines on early stopping and the weights chosen (``--patience``)."""
    if tcfg.patience is None or "best" not in result:
        return ""
    best = result["best"]
    stages = "; ".join(f"{stage} ended by {why}" for stage, why in result["stopped"].items())
    chosen = [f"{stage} best at step {b[0]} (held-out {'spectral' if stage == 'spectral' else 'regression'} loss {b[1]:.4f})"
              for stage, b in best.items()]  # fmt: skip
    rows = "\n".join(f"| {s} | {sec} | {v} |" for s, sec, v in result.get("spectral_curve", ()))
    table = f"\n\n| step | seconds | held-out spectral loss |\n| --- | --- | --- |\n{rows}" if rows else ""
    apart = f"{tcfg.validate_every_s:g} s apart" if tcfg.validate_every_steps is None else f"every {tcfg.validate_every_steps} steps"
    return (f"\nWhile the held-out loss improved (patience {tcfg.patience} validations, {apart}, "
            f"a new best by {100 * tcfg.min_improvement:g} %): {stages}. Each stage starts from the previous one's best "
            f"weights; the exported weights are the last stage's best: {'; '.join(chosen)}.{table}")  # fmt: skip


def _card(name: str, *, sha256: str, n_params: int, cfg: DecoderConfig, tcfg: DecoderTrainConfig, result: Mapping[str, Any],
          data_desc: str, licence: str, command: str, n_frames: int, n_val: int, device_desc: str,
          held_out: str = "") -> str:  # fmt: skip
    from partita.checkpoint import FORMAT, FORMAT_VERSION
    from partita.render.neural_infer import KIND

    cal = result["calibration"]["loudness_a"]
    curve = "\n".join(f"| {s} | {sec} | {tr} | {va} |" for s, sec, tr, va in result["curve"])
    return f"""# Neural decoder: {name}

- File: `{name}.safetensors` (safetensors, arrays only; checkpoint format `{FORMAT}` version {FORMAT_VERSION}, kind `{KIND}`)
- sha256: `{sha256}`
- Parameters: {n_params:,} (causal dilated convolution, {cfg.channels} channels, dilations {list(cfg.dilations)},
  receptive field {1 + (cfg.kernel_size - 1) * sum(cfg.dilations)} frames of 4 ms)
- Outputs: amplitude, {cfg.n_harmonics} harmonic distribution, {cfg.n_bands} noise bands (0-24 kHz) per 4 ms frame
- Inputs per frame: f0 (Hz), A-weighted loudness (dB, DDSP's definition) and time since the
  note's onset (`1 - exp(-t / 0.2 s)`; onsets detected on f0 and level)
- Loudness calibration (render path: the performer's RMS level and pitch to A-weighted loudness,
  least squares on {cal['n_frames']:,} voiced training frames): coefficients {cal['coef']},
  residual {cal['rmse_db']} dB RMS

## Data and licence
{data_desc}
Licence of the data: {licence}. Controls (f0, A-weighted loudness, RMS level, onsets) and targets
(harmonic amplitudes, noise band magnitudes) were measured from the audio. {n_frames:,} frames (4 ms) in all,
{n_val:,} held out for validation (every fifth note or phrase{held_out}).

## Command
```
{command}
```
Training: {tcfg.minutes:g} min budget on {device_desc}; regression on measured targets, then
multi-scale spectral loss at 16 kHz for the last {int(100 * tcfg.spectral_fraction)} % of the time. Seed {tcfg.seed}.{_selection(tcfg, result)}

## Metrics
- Steps: {result['steps']}; training time: {result['seconds'] / 60:.1f} min
- Validation regression loss (L1, natural-log magnitudes, held-out notes): {result['val_loss']:.4f}

| step | seconds | train loss | validation loss |
| --- | --- | --- | --- |
{curve}
"""


def prepare_data(*, source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], name: str, program: int | None = None,
                 data_minutes: float = 4.0, seed: int = 0, f0_method: str = "crepe", work_dir: Path | None = None,
                 scheduler: str | None = None, bank: int = 0, tremolo: bool = False,
                 resume: bool = False) -> tuple[dict[str, np.ndarray], str, str]:  # fmt: skip
    """Build (or read from ``work_dir/dataset.npz``) the training data of one instrument from one
    source or several (:mod:`partita.render.training_sources`); with ``scheduler``
    (``tcp://HOST:PORT``), every item is analysed on that Dask cluster.

    Each source is analysed on its own, with its own held-out items, and the datasets are
    concatenated (:func:`~partita.render.dataset.combine_datasets`: ``source`` [N] is each frame's
    index in the source list, which the file keeps as ``source_names``). The soundfonts share
    ``data_minutes`` evenly.

    Returns (data arrays, a description of the data, the data's licence). The cache is keyed by
    the analysis version, the sources, the program, range, minutes, seed and f0 method (and
    ``tremolo``: a third of the phrases bowed tremolo, :func:`~partita.render.dataset.tremolo_events`);
    one source's key is the one earlier versions wrote, so their cached data stays valid.

    Raises
    ------
    ConfigError
        ``resume`` while the work folder's data was built from other sources.
    """
    data, described = _prepare(source=source, name=name, program=program, data_minutes=data_minutes, seed=seed,
                               f0_method=f0_method, work_dir=work_dir, scheduler=scheduler, bank=bank, tremolo=tremolo,
                               resume=resume)  # fmt: skip
    return data, described.text, described.licence


def _prepare(*, source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], name: str, program: int | None,
             data_minutes: float, seed: int, f0_method: str, work_dir: Path | None, scheduler: str | None, bank: int,
             tremolo: bool, resume: bool) -> tuple[dict[str, np.ndarray], SourcesDescription]:  # fmt: skip
    """:func:`prepare_data`, returning the sources' whole description (the header's records too)."""
    from partita.render import dataset as ds

    work = work_dir or Path("data/neural") / name
    if f0_method not in ds.F0_METHODS:
        raise ConfigError(f"--f0 {f0_method!r} is not one of {', '.join(ds.F0_METHODS)}")
    paths = source_paths(source)
    sources = training_sources(paths, name=name, program=program, data_minutes=data_minutes, seed=seed, bank=bank,
                               tremolo=tremolo)  # fmt: skip
    described = describe_sources(sources, f0_desc=_F0_DESC[f0_method])
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "dataset.npz"
    key_hash = hashlib.sha256(f"{ds.ANALYSIS_VERSION}|{cache_key(sources, f0_method)}".encode()).hexdigest()
    names = [str(s.path.resolve()) for s in sources]
    if cache.exists():
        z = np.load(cache)
        if resume:
            _refuse_other_sources(z, names, cache)
        if str(z["key"]) == key_hash:
            return {k: z[k] for k in z.files if k not in _CACHE_RECORDS}, described
    data = _build(sources, f0_method=f0_method, scheduler=scheduler)
    from partita._fileio import atomic_path

    with atomic_path(cache) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, key=np.array(key_hash), source_names=np.array(names), **data)
    return data, described


#: How the card names each f0 estimator.
_F0_DESC = {"crepe": "CREPE tiny (torchcrepe; YIN above 1900 Hz)", "crepe-full": "CREPE full (torchcrepe; YIN above 1900 Hz)",
            "yin": "YIN"}  # fmt: skip
#: Arrays of ``dataset.npz`` that describe the file rather than its frames.
_CACHE_RECORDS = ("key", "source_names")


def _build(sources: Sequence[TrainingSource], *, f0_method: str, scheduler: str | None) -> dict[str, np.ndarray]:
    """Every source's items first (a soundfont that lacks the preset is refused before any
    analysis), then each source's dataset, concatenated."""
    from partita.render import dataset as ds

    items = [s.items() for s in sources]
    parts = []
    for s, its in zip(sources, items):
        try:
            parts.append(ds.build_dataset(its, skip_unpitched=s.skip_unpitched, f0_method=f0_method, scheduler=scheduler))
        except (ds.DataError, ConfigError) as exc:
            if exc.file is not None or len(sources) == 1:
                raise
            raise type(exc)(exc.message, file=str(s.path)) from None  # several sources: say which one
    return ds.combine_datasets(parts)


def _held_out_by_source(data: Mapping[str, np.ndarray], labels: Sequence[str]) -> str:
    """The card's count of held-out frames per source (several sources), e.g.
    `` of each source: FluidR3_GM.sf2 1,204, MuseScore_General.sf3 1,180``; "" for one source."""
    if len(labels) < 2:
        return ""
    val = data["split"] == 1
    counts = [int((val & (data["source"] == i)).sum()) for i in range(len(labels))]
    return " of each source: " + ", ".join(f"{label} {n:,}" for label, n in zip(labels, counts))


def _refuse_other_sources(cached: Mapping[str, np.ndarray], names: Sequence[str], cache: Path) -> None:
    """``--resume`` continues a checkpoint trained on the work folder's data: refuse other sources
    (data written before the sources were recorded is not checked)."""
    if "source_names" not in getattr(cached, "files", cached):
        return
    before = [str(n) for n in cached["source_names"]]
    if sorted(before) != sorted(names):
        raise ConfigError(f"--resume: this work folder's data was built from {' '.join(before)}, not from "
                          f"{' '.join(names)}; resume with the same SOURCE list, or train afresh without --resume "
                          "(or in another --work folder)", file=str(cache))  # fmt: skip


def model_family(name: str) -> str | None:
    """The string-model family (``piano``, ``plucked``, ``bars``) of a catalog instrument whose designed
    timbre is struck or plucked (:data:`partita.render.strings.MODEL_FAMILIES`), else None."""
    from partita.errors import InstrumentError
    from partita.render.strings import MODEL_FAMILIES
    from partita.render.timbres import style_of

    try:
        return MODEL_FAMILIES.get(style_of(name))
    except (InstrumentError, KeyError):
        return None


def train_instrument(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], name: str, *,
                     program: int | None = None, minutes: float = 10.0, data_minutes: float = 4.0,
                     device: str = "cpu", resume: bool = False,
                     out_dir: str | os.PathLike[str] = "out/instruments", work_dir: str | os.PathLike[str] | None = None,
                     seed: int = 0, threads: int = 1, command: str | None = None, f0_method: str = "crepe",
                     scheduler: str | None = None, progress: Progress | None = None,
                     bars: bool = False, model: str = "auto", bank: int = 0,
                     technique: str | None = None, channels: int | None = None,
                     patience: int | None = None, tremolo: bool = False,
                     upper_weight: float = 0.0, validate_every: int | None = None) -> InstrumentTrainingResult:  # fmt: skip
    """Train a neural instrument decoder (or, for struck and plucked instruments, fit a string
    model) and export it with its model card.

    Parameters
    ----------
    source
        A ``.sf2``/``.sf3`` soundfont (the GM program from ``program`` or the catalog
        instrument ``name``) or a folder of monophonic recordings; or a sequence of them, in
        any mix (:mod:`partita.render.training_sources`): each is analysed with its own held-out
        items, and the card and the weights' header list every source with its licence. A
        struck or plucked instrument's string model and ``technique`` take one soundfont.
    name
        Instrument name; a catalog id (``violin``) picks its GM program and range.
    program
        GM program 0-127 (soundfonts only; the same for every soundfont).
    minutes, data_minutes
        Training time; soundfont audio to render (minutes), split evenly between the soundfonts.
    device
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    resume
        Continue the checkpoint in ``work_dir`` (refused when its data came from other sources).
    out_dir
        Where ``NAME.safetensors``, ``NAME.md`` and ``manifest.json`` go.
    work_dir
        Data cache and resumable checkpoint (default ``data/neural/NAME``).
    seed, threads
        Seed of the data and the weights; torch CPU threads.
    command
        The command recorded in the weights and the card.
    f0_method
        ``"crepe"``, ``"crepe-full"`` or ``"yin"``.
    scheduler
        Analyse the training audio on this Dask scheduler (``tcp://HOST:PORT``).
    progress
        ``progress(stage, message)`` hears the data, the training's validation losses and the export.
    bars
        Show a tqdm progress bar while training.
    model
        ``"auto"``: a string model (:mod:`partita.render.strings`) for a catalog instrument of a
        struck or plucked family (:func:`model_family`) trained from a soundfont, else the
        neural decoder; ``"decoder"``, ``"piano"``, ``"plucked"`` or ``"bars"`` (modes at learned
        ratios: struck bars, tubes, timpani) choose.
    bank
        Every soundfont's bank of ``program`` (0: General MIDI; MuseScore_General's string
        sections' pizzicato are program 45 of banks 20, 30, 40 and 50).
    technique
        ``"pizzicato"``: a plucked string model of a bowed instrument's pizzicato, written as
        ``NAME_pizzicato`` (the renderer plays notes marked pizzicato with it).
    channels
        The neural decoder's width (default: :class:`~partita.render.neural.DecoderConfig`'s, 32).
    patience
        Train while the held-out loss improves (:attr:`~partita.render.neural.DecoderTrainConfig.patience`):
        each stage ends after this many validations without a new best, and the best weights are
        exported; ``None`` trains for the whole budget and exports the last weights.
    validate_every
        Validate every this many steps rather than every 20 seconds
        (:attr:`~partita.render.neural.DecoderTrainConfig.validate_every_steps`): with
        ``patience``, a run that ends by its plateaus gives the same weights on any machine.
    tremolo
        A bowed instrument's decoder from a soundfont: a third of the rendered phrases are
        tremolo, re-struck thirty-second notes as a score's tremolo mark is played
        (:func:`~partita.render.dataset.tremolo_events`).
    upper_weight
        The spectral stage's weight on the upper band's regression loss
        (:attr:`~partita.render.neural.DecoderTrainConfig.upper_weight`; neural decoders only).

    Returns
    -------
    InstrumentTrainingResult
    """
    say = progress or (lambda stage, message: None)
    if model not in ("auto", "decoder", "piano", "plucked", "bars"):
        raise ConfigError(f"--model {model!r}: use auto, decoder, piano, plucked or bars")
    if patience is not None and patience < 1:
        raise ConfigError(f"--patience {patience}: use a number of validations, 1 or more")
    if validate_every is not None and validate_every < 1:
        raise ConfigError(f"--validate-every {validate_every}: use a number of steps, 1 or more")
    if not (upper_weight >= 0.0 and math.isfinite(upper_weight)):
        raise ConfigError(f"--upper-weight {upper_weight}: use a finite weight, 0 or more")
    if technique not in (None, *TECHNIQUES):
        raise ConfigError(f"--technique {technique!r}: use {', '.join(TECHNIQUES)}")
    paths = source_paths(source)
    shown = " ".join(paths)
    any_soundfont = any(is_soundfont(p) for p in paths)
    family = model_family(name) if model == "auto" else (None if model == "decoder" else model)
    if technique == "pizzicato":
        if len(paths) > 1 or not any_soundfont or model not in ("auto", "plucked"):
            raise ConfigError(f"--technique pizzicato fits a plucked string model from a soundfont (.sf2/.sf3), not from {shown}"
                              + ("" if model in ("auto", "plucked") else f" with --model {model}"))  # fmt: skip
        family = "plucked"
    if tremolo and not any_soundfont:
        raise ConfigError(f"--tremolo renders tremolo phrases from a soundfont (.sf2/.sf3); {shown} is not one")
    if tremolo and family is not None:
        raise ConfigError(f"--tremolo adds bowed tremolo to a neural decoder's data; {name} here fits a {family} string model")
    if upper_weight and family is not None and any_soundfont:
        raise ConfigError(f"--upper-weight weighs a neural decoder's spectral stage; {name} here fits a {family} string model")
    if family is not None and any_soundfont:
        if len(paths) > 1:
            raise ConfigError(f"{name} here fits a {family} string model, which is fitted from one soundfont, not from {shown}; "
                              "give one SOURCE, or --model decoder to train a neural decoder from all of them")  # fmt: skip
        from partita.render.strings_training import train_string_model

        return train_string_model(paths[0], name, program=program, family=family, out_dir=Path(out_dir),
                                  command=command, progress=say, bank=bank, technique=technique)  # fmt: skip
    if model in ("piano", "plucked", "bars"):
        raise ConfigError(f"--model {model}: a string model is fitted from a soundfont (.sf2/.sf3), not from {shown}")

    import torch

    from partita._fileio import atomic_write_text
    from partita.render.neural import DecoderConfig, DecoderTrainConfig, _check_device, export_weights, train

    out_dir = Path(out_dir)
    device = _check_device(device)
    torch.set_num_threads(max(1, int(threads)))
    work = Path(work_dir) if work_dir is not None else Path("data/neural") / name
    data, described = _prepare(source=paths, name=name, program=program, data_minutes=data_minutes, seed=seed,
                               f0_method=f0_method, work_dir=work, scheduler=scheduler, bank=bank, tremolo=tremolo,
                               resume=resume)  # fmt: skip
    data_desc, licence = described.text, described.licence
    say("data", f"{len(data['f0_hz']):,} frames: {data_desc}")
    cfg = DecoderConfig(instrument=name) if channels is None else DecoderConfig(instrument=name, channels=int(channels))
    tcfg = DecoderTrainConfig(minutes=minutes, seed=seed, patience=patience, upper_weight=float(upper_weight),
                              validate_every_steps=validate_every)  # fmt: skip
    result = train(data, config=cfg, train_config=tcfg, out_dir=work, resume=resume, progress=bars, device=device,
                   log=lambda s: say("train", s))  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.safetensors"
    cmd = command or (f"partita train-instrument {shown} --name {name} --minutes {minutes:g}"
                      + (f" --patience {patience}" if patience is not None else "") + (" --tremolo" if tremolo else "")
                      + (f" --validate-every {validate_every}" if validate_every is not None else "")
                      + (f" --upper-weight {upper_weight:g}" if upper_weight else ""))  # fmt: skip
    sha = export_weights(result["model"], target, calibration=result["calibration"],
                         training={"command": cmd, "steps": result["steps"], "device": device,
                                   "seconds": round(result["seconds"], 1), "val_loss": result["val_loss"],
                                   **({"best": result["best"], "stopped": result["stopped"]} if "best" in result else {})},
                         data={"description": data_desc, "licence": licence, "card": f"{name}.md",
                               **({"sources": list(described.records)} if described.records else {})})  # fmt: skip
    n_params = result["model"].n_params()
    card = _card(name, sha256=sha, n_params=n_params, cfg=cfg, tcfg=tcfg, result=result,
                 data_desc=data_desc, licence=licence, command=cmd, n_frames=len(data["f0_hz"]),
                 n_val=int((data["split"] == 1).sum()), held_out=_held_out_by_source(data, described.labels),
                 device_desc="CPU, 1 torch thread" if device == "cpu" else f"{device} ({torch.cuda.get_device_name(device)})")  # fmt: skip
    atomic_write_text(out_dir / f"{name}.md", card)
    manifest_path = update_manifest(out_dir, name, {"file": target.name, "sha256": sha, "card": f"{name}.md", "n_params": n_params})
    say("export", f"{target} (sha256 {sha})")
    return InstrumentTrainingResult(weights=target, sha256=sha, card=out_dir / f"{name}.md", manifest=manifest_path,
                                    steps=int(result["steps"]), seconds=float(result["seconds"]),
                                    val_loss=float(result["val_loss"]), curve=tuple(tuple(r) for r in result["curve"]),
                                    calibration=result["calibration"])  # fmt: skip
