"""The main job: prompt -> plan -> score -> stems -> mix -> DAW export -> signed provenance.

:func:`compose_to_master` is what ``partita compose "PROMPT" -o OUTDIR`` runs. It writes::

    OUTDIR/plan.json            the plan (edit it and compose it again with --plan)
    OUTDIR/score.musicxml       the score, for MuseScore and other notation programs
    OUTDIR/score.mid            the score as MIDI
    OUTDIR/score.json           the score exactly (Score.to_dict): what --reproduce renders
    OUTDIR/stems/NN_<part>.wav  one stem per part, mono (a drum kit stereo; render.json lists them)
    OUTDIR/mix.wav              the stereo master at the loudness target, with a LIST/INFO
                                chunk naming the score hash, seed and targets
    OUTDIR/mix.c2pa.wav         the same audio with an embedded C2PA manifest (when c2pa-python
                                is installed): the industry's provenance format, signed offline
    OUTDIR/mix.json             the mix settings (edit, then ``partita mix OUTDIR``)
    OUTDIR/project.rpp          a REAPER project: every stem on a track, the MIDI on its own
    OUTDIR/provenance.json      what made all of the above, signed (``partita verify OUTDIR``)

:func:`remix` re-mixes a folder from its stems (never touching them) and re-signs it;
:func:`reproduce` renders and mixes the recorded score again and compares the bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from partita._fileio import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from partita.mixing import MixResult, MixSettings
    from partita.render.settings import RenderResult, RenderSettings
    from partita.symbolic.composer.planner import Plan
    from partita.symbolic.score import Score

__all__ = ["PipelineResult", "compose_to_master", "master_folder", "remix", "reproduce", "mix_info"]

Progress = Callable[[str, str], None]
#: Files of the folder that a re-mix rewrites (everything else must still match its record).
REMIX_OUTPUTS = ("mix.wav", "mix.c2pa.wav", "mix.json", "project.rpp")


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """What the main job made and how long each stage took (seconds, in order)."""

    out_dir: Path
    plan: Plan
    score: Score
    render: RenderResult
    mix: MixResult
    provenance: Path
    stages: tuple[tuple[str, float], ...] = field(default=())

    @property
    def chord_relaxations(self) -> int:
        """Notes on strong beats where the given chord gave way (the score's metadata)."""
        return int(self.score.metadata.get("partita.chord_relaxations", 0))

    @property
    def elapsed_s(self) -> float:
        return sum(s for _, s in self.stages)

    def files(self) -> list[str]:
        """Files written, relative to ``out_dir``."""
        rec = json.loads(self.provenance.read_text(encoding="utf-8"))["record"]
        return sorted(rec["files"]) + ["provenance.json"]

    def summary(self) -> str:
        """A few lines: sections, key, tempo, duration, loudness, files, time per stage."""
        p, r = self.plan, self.mix.report
        sections = ", ".join(f"{s.name} ({s.bars} bars)" for s in p.sections)
        stages = ", ".join(f"{n} {s:.1f} s" for n, s in self.stages)
        files = self.files()
        n_stems = sum(1 for f in files if f.startswith("stems/"))
        others = ", ".join(f for f in files if not f.startswith("stems/"))
        return "\n".join([
            f"sections: {sections}",
            f"key {p.key} {p.mode}, {p.tempo_bpm:g} bpm, {p.meter[0]}/{p.meter[1]}, "
            f"{self.render.duration_s:.1f} s of audio, {len(self.score.parts)} parts, "
            f"{self.chord_relaxations} chord relaxations" + (" (given chords gave way there)" if self.chord_relaxations else ""),
            f"loudness {r.integrated_lufs:.2f} LUFS (target {r.target_lufs:g}), true peak {r.true_peak_dbtp:.2f} dBTP "
            f"(ceiling {r.true_peak_ceiling_dbtp:g})" + ("" if r.meets_target else "  -- targets NOT met"),
            f"wrote {self.out_dir}: {n_stems} stems in stems/, {others}",
            f"took {self.elapsed_s:.1f} s: {stages}",
            *getattr(self.render, "notes", ()),  # what the renderer said about words
        ])  # fmt: skip


def mix_info(score_hash: str | None, seed: int | None, settings: Any) -> dict[str, str]:
    """The LIST/INFO fields of ``mix.wav``."""
    from partita._version import __version__

    return {"ISFT": f"partita {__version__}", "INAM": "mix",
            "ICMT": f"partita master; score sha256 {score_hash or 'unknown'}; seed {seed}; "
                    f"target {settings.target_lufs:g} LUFS, ceiling {settings.true_peak_ceiling_dbtp:g} dBTP; "
                    "signed record: provenance.json"}  # fmt: skip


def _c2pa_copy(out: Path, *, title: str, score_hash: str | None, seed: int | None, mixed: Any,
               key_dir: str | os.PathLike[str] | None, progress: Progress | None) -> None:
    """``mix.c2pa.wav`` beside ``mix.wav`` when c2pa-python is installed (a stale one is removed
    otherwise, so the folder never holds a C2PA copy of an older mix)."""
    from partita.provenance import c2pa_available, c2pa_sign_wav

    target = out / "mix.c2pa.wav"
    if not c2pa_available():
        target.unlink(missing_ok=True)
        _say(progress, "export", "c2pa-python not installed: no mix.c2pa.wav")
        return
    c2pa_sign_wav(out / "mix.wav", target, title=title, key_dir=key_dir, partita={
        "score_sha256": score_hash, "seed": seed, "mix_wav_sha256": mixed.sha256,
        "integrated_lufs": round(mixed.report.integrated_lufs, 3), "true_peak_dbtp": round(mixed.report.true_peak_dbtp, 3),
        "record": "provenance.json (Ed25519-signed)",
    })  # fmt: skip


def _decoders(score: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Part id -> [decoder id, fingerprint] as the renderer picks them (shipped neural weights,
    else the designed timbre; the drum kit), and the weight files those decoders read."""
    from partita.provenance import sha256_file
    from partita.render.stems import _decoder_for  # the decoder render() picks (voices: the singer)
    from partita.render.timbres import style_of

    out: dict[str, Any] = {}
    files: dict[str, dict[str, str]] = {}
    for p in score.parts:
        if style_of(p.instrument) == "drums":
            out[p.id] = ["drums", None]
            continue
        d = _decoder_for(p, None)
        out[p.id] = [d.decoder_id, d.fingerprint()]
        path = getattr(getattr(d, "weights", None), "path", None)
        if path:
            files[str(path)] = {"role": f"instrument:{p.instrument}", "file": Path(path).name, "sha256": sha256_file(path)}
    return out, list(files.values())


def _say(progress: Progress | None, stage: str, message: str) -> None:
    if progress is not None:
        progress(stage, message)


def master_folder(
    out_dir: str | os.PathLike[str],
    score: Score,
    *,
    record: Mapping[str, Any],
    render_settings: RenderSettings | None = None,
    mix_settings: MixSettings | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    progress: Progress | None = None,
    stages: list[tuple[str, float]] | None = None,
    c2pa: bool = True,
    before_signing: Callable[[Path], None] | None = None,
) -> tuple[RenderResult, MixResult, Path]:
    """Render ``score`` into ``out_dir``, mix, export for REAPER and sign.

    ``record`` holds what came before the score (prompt, plan, compose settings, weights). The
    score is written as ``score.json`` (exact), ``score.musicxml`` and ``score.mid``.
    ``c2pa`` False writes no ``mix.c2pa.wav`` (its manifest holds a signing time; batch datasets
    leave it out so that every file but provenance.json is reproducible byte for byte).
    ``before_signing(out_dir)`` may add files that the signed record then covers.

    Returns
    -------
    (RenderResult, MixResult, path of provenance.json)
    """
    from partita.daw import write_rpp
    from partita.mixing import MixSettings, mix_folder, read_render_manifest
    from partita.provenance import write_provenance
    from partita.render.settings import RENDERER_VERSION, RenderSettings
    from partita.render.stems import render
    from partita.symbolic import io as sio

    stages = stages if stages is not None else []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rs = render_settings or RenderSettings()
    ms = mix_settings or MixSettings()
    score_hash = score.canonical_hash()

    t = time.perf_counter()
    _say(progress, "score", "writing score.json; score.musicxml and score.mid alongside the render")
    atomic_write_text(out / "score.json", json.dumps(score.to_dict(), indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    # music21's MusicXML writer is pure Python: the exports are written while the parts render,
    # by a forked child where the render may fork its own (a running thread would keep it on
    # threads: partita.render.part_processes), else by a thread
    failed: list[BaseException] = []

    def exports() -> None:
        sio.write(score, out / "score.musicxml")
        sio.write(score, out / "score.mid")

    def exports_here() -> None:
        try:
            exports()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failed.append(exc)

    from partita.render import part_processes

    child = part_processes.fork(exports) if part_processes.usable(2, workers) else None
    writer = None
    if child is None:
        writer = threading.Thread(target=exports_here, name="partita-score-exports")
        writer.start()
    i_score = len(stages)
    stages.append(("score files", time.perf_counter() - t))

    try:
        t = time.perf_counter()
        _say(progress, "render", f"{len(score.parts)} parts, {score.duration_seconds:.0f} s at {rs.sample_rate} Hz")
        rendered = render(score, out, settings=rs, workers=workers, progress=False)
        manifest = read_render_manifest(out)
        stages.append(("render", time.perf_counter() - t))
    finally:
        t = time.perf_counter()
        if writer is not None:
            writer.join()
        elif os.waitpid(child, 0)[1] != 0:  # type: ignore[arg-type]
            exports_here()  # the child failed: again here, to raise what it met
        # what the exports still needed once the render was done: their share of the wall time
        stages[i_score] = ("score files", stages[i_score][1] + time.perf_counter() - t)
    if failed:
        raise failed[0]

    t = time.perf_counter()
    _say(progress, "mix", f"target {ms.target_lufs:g} LUFS, ceiling {ms.true_peak_ceiling_dbtp:g} dBTP")
    mixed = mix_folder(out, settings=ms, score=score, info=mix_info(score_hash, rs.seed, ms))
    stages.append(("mix", time.perf_counter() - t))

    t = time.perf_counter()
    _say(progress, "export", "project.rpp, mix.c2pa.wav")
    write_rpp(out, score, manifest=manifest, stem_pan=mixed.stem_pan, stem_gain_db=mixed.stem_gain_db)
    if c2pa:
        _c2pa_copy(out, title=score.title or "partita", score_hash=score_hash, seed=rs.seed, mixed=mixed,
                   key_dir=key_dir, progress=progress)  # fmt: skip
    else:
        (out / "mix.c2pa.wav").unlink(missing_ok=True)
    if before_signing is not None:
        before_signing(out)
    stages.append(("export", time.perf_counter() - t))

    t = time.perf_counter()
    _say(progress, "provenance", "hashing and signing")
    decoders, decoder_files = _decoders(score)
    full = {
        **dict(record),
        "weights": list(record.get("weights", [])) + decoder_files,
        "seed": rs.seed,
        "score": {"canonical_hash": score_hash, "file": "score.json"},
        "render": {"renderer": RENDERER_VERSION, "settings": rs.to_dict(), "decoders": decoders},
        "mix": {"settings": ms.to_dict(), "report": mixed.report.to_dict()},
    }
    prov = write_provenance(out, full, key_dir=key_dir)
    stages.append(("provenance", time.perf_counter() - t))
    return rendered, mixed, prov


def _prior_record(plan: Plan, decoding: Any) -> dict | None:
    """What the provenance says of the pitch prior a compose used: its file's sha256 and the
    genre's table, or None when the genre's decoding uses none (or has no fitted table)."""
    from partita.provenance import sha256_file
    from partita.symbolic.composer import priors

    if not decoding.pitch_prior or plan.genre not in priors.load_priors():
        return None
    return {"file": priors._FILE.name, "sha256": sha256_file(priors._FILE), "genre": plan.genre}


def compose_to_master(
    plan: Plan,
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    weights: str | os.PathLike[str] | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    profile: str | None = None,
    best_of: int | None = None,
    key_mask: bool | None = None,
    render_settings: RenderSettings | None = None,
    mix_settings: MixSettings | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    progress: Progress | None = None,
    plan_seconds: float = 0.0,
    guide: Any = None,
    lyrics: str | None = None,
    c2pa: bool = True,
    before_signing: Callable[[Path], None] | None = None,
) -> PipelineResult:
    """Compose ``plan`` and carry it all the way to a signed, mastered render folder.

    Parameters
    ----------
    plan
        A :class:`~partita.symbolic.composer.planner.Plan` (``planner.plan(prompt)``).
    out_dir
        Output folder (created).
    seed
        Seed of the composer and of every render stream.
    weights
        Composer checkpoint (default: the shipped weights).
    temperature, top_p, profile, best_of, key_mask
        Sampling settings (see :func:`partita.symbolic.composer.sample.compose`); None: the plan genre's (``decoding.toml``).
    render_settings, mix_settings
        :class:`~partita.render.settings.RenderSettings` (its seed is replaced by ``seed``) and
        :class:`~partita.mixing.MixSettings`.
    key_dir
        Signing key folder (see :mod:`partita.provenance`).
    workers
        Threads rendering parts.
    progress
        ``progress(stage, message)`` as each stage starts.
    plan_seconds
        Time the caller spent planning, reported as the first stage.
    guide
        A Score or a path (MIDI, MusicXML, ...) whose melody seeds the composition (see
        :func:`partita.symbolic.composer.sample.compose`); the rest of the job is the same. A
        path is recorded with its sha256.
    lyrics
        Words to sing (lines of text): a voice part is added to the plan if it has none, a
        vocal melody carrying every syllable is written for it
        (:mod:`partita.symbolic.composer.lyrics`) and the ensemble is composed under it.
        Not with ``guide``.

    Returns
    -------
    PipelineResult
    """
    import dataclasses

    from partita.provenance import sha256_file
    from partita.render.settings import RenderSettings
    from partita.symbolic.composer.sample import compose, resolve_decoding

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stages: list[tuple[str, float]] = [("plan", plan_seconds)]
    rs = dataclasses.replace(render_settings or RenderSettings(), seed=seed)
    if weights is None:
        from partita.symbolic.composer.weights_info import shipped_path

        weights_path = shipped_path()
    else:
        weights_path = Path(weights)

    t = time.perf_counter()
    atomic_write_text(out / "plan.json", json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n")
    n_sec = len(plan.sections)

    def on_section(name: str, i: int, n: int) -> None:
        _say(progress, "compose", f"section {i + 1}/{n}: {name}")

    guide_record = None
    if lyrics is not None:  # the words make the melody, which then guides the ensemble
        if guide is not None:
            from partita.errors import ConfigError

            raise ConfigError("lyrics and a guide melody cannot be given together")
        import hashlib

        from partita.symbolic.composer.lyrics import vocal_melody, with_voice

        plan = with_voice(plan)
        guide, info = vocal_melody(plan, lyrics, seed=seed)
        guide_record = {"lyrics_sha256": hashlib.sha256(lyrics.encode()).hexdigest(), **info}
        _say(progress, "compose", f"lyrics: {info['lines']} lines, {info['syllables']} syllables over {info['bars']} bars"
             + (f"; not in the dictionary, spelled by the fallback: {', '.join(sorted(info['spelled']))}"
                if info["spelled"] else ""))  # fmt: skip
    if guide is not None:
        from partita.symbolic.composer.edit import read_guide

        if isinstance(guide, (str, os.PathLike)):
            guide_record = {"file": Path(guide).name, "sha256": sha256_file(guide)}
        elif guide_record is not None:  # the vocal melody written for the lyrics
            guide_record = {**guide_record, "canonical_hash": guide.canonical_hash()}
        guide = read_guide(guide)
        if guide_record is None:
            guide_record = {"canonical_hash": guide.canonical_hash()}
        _say(progress, "compose", f"under the guide's melody ({guide.n_bars} bars); {n_sec} sections laid over them")
    else:
        _say(progress, "compose", f"{n_sec} sections, {plan.n_bars} bars")
    decoding = resolve_decoding(plan, temperature, top_p, guide=guide, best_of=best_of)  # the genre's where not given
    score = compose(plan, seed=seed, weights=str(weights_path), temperature=decoding.temperature, top_p=decoding.top_p,
                    role_temperature=decoding.role_temperature or None, profile=profile, progress=on_section,
                    guide=guide, best_of=None if guide is not None else decoding.best_of,
                    key_mask=key_mask)  # fmt: skip
    key_masked = decoding.key_mask if key_mask is None else key_mask
    stages.append(("compose", time.perf_counter() - t))
    record = {
        "prompt": plan.prompt,
        "plan": plan.to_dict(),
        "compose": {"temperature": decoding.temperature, "top_p": decoding.top_p,
                    "role_temperature": dict(decoding.role_temperature), "best_of": decoding.best_of,
                    "critic_weight": decoding.critic_weight, "profile": profile, "key_mask": key_masked,
                    "pitch_prior": _prior_record(plan, decoding) if guide is None else None,
                    "weights": {"file": weights_path.name, "sha256": sha256_file(weights_path)},
                    "chord_relaxations": int(score.metadata.get("partita.chord_relaxations", 0))},  # fmt: skip
        "weights": [{"role": "composer", "file": weights_path.name, "sha256": sha256_file(weights_path)}],
    }
    if guide_record is not None:
        record["compose"]["lyrics" if lyrics is not None else "guide"] = guide_record
    # --- originality and style similarity (issue 16): signed with the rest of the record ---
    from partita.symbolic.composer.styles import provenance_section

    t = time.perf_counter()
    _say(progress, "originality", "shared passages with the training corpus; similarity to the asked style")
    record["originality"] = provenance_section(score, genre=plan.genre)
    stages.append(("originality", time.perf_counter() - t))
    # --- end originality ---
    rendered, mixed, prov = master_folder(
        out, score, record=record, render_settings=rs, mix_settings=mix_settings, key_dir=key_dir,
        workers=workers, progress=progress, stages=stages, c2pa=c2pa, before_signing=before_signing,
    )  # fmt: skip
    return PipelineResult(out, plan, score, rendered, mixed, prov, tuple(stages))


def _load_score(out: Path) -> Any:
    from partita.errors import FormatError
    from partita.symbolic.score import Score

    path = out / "score.json"
    if not path.exists():
        return None
    try:
        return Score.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read score.json: {exc}", file=str(path)) from None


def remix(
    out_dir: str | os.PathLike[str],
    *,
    settings: MixSettings | None = None,
    target_lufs: float | None = None,
    key_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> MixResult:
    """Mix a render folder again from its stems; the stems' bytes are never written.

    ``settings`` default: ``OUTDIR/mix.json`` (as a user edited it), else the defaults;
    ``target_lufs`` overrides its target. A folder with ``provenance.json`` is verified first
    (any changed file other than the mix outputs stops the re-mix, named), then re-signed with
    the new mix; a folder without one (from ``partita render``) gets one.

    Returns
    -------
    MixResult
    """
    import dataclasses

    from partita.daw import write_rpp
    from partita.mixing import MixSettings, load_mix_settings, mix_folder, read_render_manifest
    from partita.provenance import PROVENANCE_FILE, ProvenanceError, read_provenance, verify, write_provenance

    out = Path(out_dir)
    manifest = read_render_manifest(out)
    if settings is None:
        settings = load_mix_settings(out / "mix.json") if (out / "mix.json").exists() else MixSettings()
    if target_lufs is not None:
        settings = dataclasses.replace(settings, target_lufs=target_lufs)
    record: dict[str, Any] = {}
    if (out / PROVENANCE_FILE).exists():
        rep = verify(out, key_dir=key_dir)
        bad = [f for f in rep.changed + rep.missing if f not in REMIX_OUTPUTS]
        if bad:
            raise ProvenanceError(f"changed since it was signed: {', '.join(bad)}; not re-mixing", file=str(out))
        record = dict(read_provenance(out)["record"])
        for k in ("format", "version", "software", "created_utc", "files"):
            record.pop(k, None)
    score = _load_score(out)
    score_hash = score.canonical_hash() if score is not None else None
    seed = manifest.get("seed")
    _say(progress, "mix", f"target {settings.target_lufs:g} LUFS, ceiling {settings.true_peak_ceiling_dbtp:g} dBTP")
    mixed = mix_folder(out, settings=settings, score=score, info=mix_info(score_hash, seed, settings))
    if score is not None:
        write_rpp(out, score, manifest=manifest, stem_pan=mixed.stem_pan, stem_gain_db=mixed.stem_gain_db)
    _c2pa_copy(out, title=(score.title if score is not None else "") or "partita", score_hash=score_hash, seed=seed,
               mixed=mixed, key_dir=key_dir, progress=progress)  # fmt: skip
    record["mix"] = {"settings": settings.to_dict(), "report": mixed.report.to_dict()}
    record.setdefault("seed", seed)
    record.setdefault("render", {"renderer": manifest.get("renderer"), "settings": manifest.get("settings")})
    if score_hash is not None:
        record.setdefault("score", {"canonical_hash": score_hash, "file": "score.json"})
    _say(progress, "provenance", "hashing and signing")
    write_provenance(out, record, key_dir=key_dir)
    return mixed


def reproduce(
    out_dir: str | os.PathLike[str],
    *,
    key_dir: str | os.PathLike[str] | None = None,
    public_key: str | os.PathLike[str] | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> tuple[list[str], list[str]]:
    """Render and mix the recorded score again, in a scratch folder, and compare bytes.

    The folder is verified first (signature and hashes). The score comes from ``score.json``
    (its canonical hash must equal the recorded one); render and mix settings and seed from the
    record. Returns (files that came out bit-identical, files that did not); for
    ``mix.c2pa.wav``, whose manifest holds a signing time, its samples are compared.
    """
    from partita.errors import FormatError
    from partita.mixing import MixSettings, mix_folder, read_render_manifest
    from partita.provenance import ProvenanceError, read_provenance, sha256_file, verify
    from partita.render.settings import RenderSettings
    from partita.render.stems import render

    out = Path(out_dir)
    rep = verify(out, key_dir=key_dir, public_key=public_key)
    if not rep.ok:
        raise ProvenanceError(f"changed since it was signed: {', '.join(rep.changed + rep.missing + rep.unrecorded)}",
                              file=str(out))  # fmt: skip
    rec = read_provenance(out)["record"]
    score = _load_score(out)
    if score is None or "score" not in rec or "render" not in rec:
        raise FormatError("the record has no score.json and render settings to reproduce from", file=str(out))
    if score.canonical_hash() != rec["score"]["canonical_hash"]:
        raise ProvenanceError("score.json's canonical hash differs from the recorded one", file=str(out / "score.json"))
    rs = RenderSettings.from_dict(rec["render"]["settings"])
    ms = MixSettings.from_dict(rec["mix"]["settings"]) if rec.get("mix") else None
    same, differ = [], []
    with tempfile.TemporaryDirectory(prefix="partita-reproduce-") as tmp:
        scratch = Path(tmp)
        _say(progress, "render", f"{len(score.parts)} parts from score.json, seed {rs.seed}")
        render(score, scratch, settings=rs, workers=workers, progress=False)
        manifest = read_render_manifest(scratch)
        produced = [s["file"] for s in manifest["stems"]]
        if ms is not None:
            _say(progress, "mix", "mixing the new stems")
            mix_folder(scratch, settings=ms, score=score, info=mix_info(score.canonical_hash(), rs.seed, ms))
            produced.append("mix.wav")
        for rel in produced:
            want = rec["files"].get(rel)
            (same if want is not None and sha256_file(scratch / rel) == want else differ).append(rel)
        if "mix.c2pa.wav" in rec["files"] and ms is not None:
            # its C2PA manifest holds an instance id and a signing time: compare its samples
            import numpy as np
            import soundfile as sf

            a = sf.read(out / "mix.c2pa.wav", dtype="float32", always_2d=True)[0]
            b = sf.read(scratch / "mix.wav", dtype="float32", always_2d=True)[0]
            (same if a.shape == b.shape and np.array_equal(a, b) else differ).append("mix.c2pa.wav")
            produced.append("mix.c2pa.wav")
        recorded_audio = [f for f in rec["files"] if f.endswith(".wav")]
        differ += [f for f in recorded_audio if f not in produced]
    return same, differ

