"""For the classroom: re-orchestrate a score into a folder a teacher opens, and a report for
any score. What ``partita orchestrate`` and ``partita check --report`` run.

:func:`orchestrate` writes::

    OUT/score.musicxml          the new score (written pitch for transposing instruments)
    OUT/score.mscz              the same through MuseScore 3, when mscore3 is installed
    OUT/score.json              the new score exactly (Score.to_dict)
    OUT/changes.json            the assignment and every moved note: part, bar, beat, from, to
    OUT/check.json              the violations left in the new score (partita check --json's keys)
    OUT/original_check.json     the same for the original
    OUT/audio/original/         stems/NN_<part>.wav, mix.wav, render.json of the original
    OUT/audio/orchestrated/     the same for the new version
    OUT/report.html             one self-contained page: notation marked, audio, rule rates
"""

from __future__ import annotations

import json
import os
from html import escape as _esc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from partita._fileio import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from partita.orchestration import Orchestration
    from partita.symbolic.score import Score
    from partita.theory_rules import Report

__all__ = ["OrchestrateResult", "orchestrate", "render_version", "check_report"]

Progress = Callable[[str], None]
#: Sample rate of the classroom renders: enough for listening, small enough to embed.
CLASSROOM_SAMPLE_RATE = 22050


@dataclass(frozen=True, slots=True)
class OrchestrateResult:
    """What :func:`orchestrate` wrote.

    ``orchestration`` is the pure result (:class:`~partita.orchestration.Orchestration`);
    ``check`` and ``original_check`` the rule reports; ``stages`` seconds per stage in order.
    """

    out_dir: Path
    orchestration: Orchestration
    check: Report
    original_check: Report
    report: Path
    files: tuple[str, ...]
    stages: tuple[tuple[str, float], ...] = field(default=())

    @property
    def elapsed_s(self) -> float:
        return sum(s for _, s in self.stages)

    def summary(self) -> str:
        o = self.orchestration
        names = {p.id: p.name for p in o.score.parts}
        lines = [f"{o.ensemble}: " + ", ".join(f"{o.old_names.get(p, p)} -> {names[p]}" for p in o.assignment)]
        if o.unused:
            lines.append(f"instruments without a part: {', '.join(o.unused)}")
        moved = sum(c.reason == "into range" for c in o.changes)
        lines.append(f"{len(o.changes)} notes sound at another pitch ({moved} moved alone into range); see changes.json")
        lines.append(f"left: {self.check.n_errors} errors, {self.check.n_warnings} warnings "
                     f"(original: {self.original_check.n_errors} errors, {self.original_check.n_warnings} warnings)")
        stages = ", ".join(f"{n} {s:.1f} s" for n, s in self.stages)
        lines.append(f"wrote {self.out_dir}: {', '.join(f for f in self.files if '/' not in f)}; open report.html")
        lines.append(f"took {self.elapsed_s:.1f} s: {stages}")
        return "\n".join(lines)


def render_version(score: Score, out_dir: str | os.PathLike[str], *, sample_rate: int = CLASSROOM_SAMPLE_RATE,
                   seed: int = 0) -> dict[str, Path]:
    """Render ``score`` to ``out_dir`` (stems, then the mix); returns ``"mix"`` and part id ->
    WAV path, mix first."""
    from partita.render import render
    from partita.mixing import mix_folder

    out = Path(out_dir)
    result = render(score, out, sample_rate=sample_rate, seed=seed, progress=False)
    atomic_write_text(out / "score.json", json.dumps(score.to_dict(), ensure_ascii=False))
    mix_folder(out, score=score)
    paths: dict[str, Path] = {"mix": out / "mix.wav"}
    for st in result.stems:
        paths[st.part_id] = out / st.file
    return paths


def _json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _read(score: str | os.PathLike[str] | Score) -> tuple[Score, str]:
    from partita.symbolic.io import read
    from partita.symbolic.score import Score

    if isinstance(score, Score):
        return score, score.title or "score"
    s = read(score)
    return s, s.title or Path(score).stem


def orchestrate(
    score: str | os.PathLike[str] | Score,
    ensemble: str,
    out_dir: str | os.PathLike[str],
    *,
    assign: str | Mapping[str, str] | None = None,
    fit: bool = False,
    profile: str = "chorale",
    audio: bool = True,
    embed_audio: bool = True,
    sample_rate: int = CLASSROOM_SAMPLE_RATE,
    seed: int = 0,
    mscz: bool | None = None,
    max_pages: int | None = None,
    progress: Progress | None = None,
) -> OrchestrateResult:
    """Give a score to an ensemble and write the new score, the changes, the check, the audio
    of both versions and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    score
        A score file (any format partita reads) or a :class:`Score`; never modified.
    ensemble
        A preset (``"wind quintet"``) or instruments separated by commas.
    assign
        ``"Soprano=flute,Bass=bassoon"``: these parts to these instruments first.
    fit
        Move parts and notes by octaves into the instruments' ranges
        (:func:`partita.orchestration.orchestrate_score`).
    profile
        The rule profile of the check (``chorale``, ``classical``, ``pop``, ``orchestration``).
    audio
        Render stems and mix of both versions (the slow part); False: notation and rules only.
    embed_audio
        Put the audio inside report.html (default); False: the report plays the WAV files
        next to it.
    sample_rate, seed
        Of the renders.
    mscz
        Write score.mscz through MuseScore 3: True, False, or None (when mscore3 is installed).
    max_pages
        Engrave at most this many pages per version in the report.
    progress
        Called with one line per stage.

    Returns
    -------
    OrchestrateResult

    Raises
    ------
    partita.errors.InstrumentError
        The ensemble cannot cover the score (the message names the part and the nearest fit).
    partita.errors.ConfigError
        ``assign`` names a part the score does not have (the message lists the parts).
    """
    from partita.orchestration import orchestrate_score
    from partita.report import Version, write_report
    from partita.symbolic.io import musicxml
    from partita.theory_rules import RuleSet, check

    say = progress or (lambda _msg: None)
    stages: list[tuple[str, float]] = []
    rules = RuleSet.from_profile(profile)  # a bad profile fails before any work
    t = time.perf_counter()
    original, title = _read(score)
    orch = orchestrate_score(original, ensemble, assign=assign, fit=fit)
    old_names, new_score = orch.old_names, orch.score
    stages.append(("orchestrate", time.perf_counter() - t))
    say(f"orchestrate: {orch.ensemble}, {len(orch.changes)} notes moved")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    musicxml.write(new_score, out / "score.musicxml")
    atomic_write_text(out / "score.json", json.dumps(new_score.to_dict(), ensure_ascii=False))
    if mscz is None:
        from partita.symbolic.io.musescore import find_mscore

        try:
            find_mscore()
            mscz = True
        except Exception:
            mscz = False
            say("export: MuseScore 3 (mscore3) not found: no score.mscz")
    if mscz:
        from partita.symbolic.io import musescore

        musescore.write(new_score, out / "score.mscz")
    after, before = check(new_score, profile=rules), check(original, profile=rules)
    _json(out / "changes.json", orch.to_dict())
    _json(out / "check.json", {"file": "score.musicxml", **after.to_dict()})
    _json(out / "original_check.json", {"file": str(score) if not hasattr(score, "parts") else title, **before.to_dict()})
    stages.append(("write", time.perf_counter() - t))

    audio_before: dict[str, Path] = {}
    audio_after: dict[str, Path] = {}
    if audio:
        t = time.perf_counter()
        audio_before = render_version(original, out / "audio" / "original", sample_rate=sample_rate, seed=seed)
        audio_after = render_version(new_score, out / "audio" / "orchestrated", sample_rate=sample_rate, seed=seed)
        stages.append(("render", time.perf_counter() - t))
        say(f"render: stems and mix of both versions at {sample_rate} Hz")

    t = time.perf_counter()
    moved = frozenset((c.part, c.index) for c in orch.changes if c.reason == "into range")
    shifts = ", ".join(f"{new_score.part(p).name} {k:+d} semitones" for p, k in orch.shifts.items() if k)
    notes = (f'<p class="small">{_esc(title)} for {_esc(orch.ensemble)}'
             f"{' with --fit' if fit else ''}. Parts: "
             + ", ".join(f"{_esc(old_names[p])} &rarr; {_esc(new_score.part(p).name)}" for p in orch.assignment)
             + (f". Whole parts moved: {_esc(shifts)}" if shifts else "")
             + (f". No part for: {_esc(', '.join(orch.unused))}" if orch.unused else "") + ".</p>")  # fmt: skip
    write_report(out / "report.html", [
        Version("Original", original, before, audio_before),
        Version(orch.ensemble, new_score, after, audio_after, moved),
    ], title=f"{title}: {orch.ensemble}", changes=orch.to_dict()["changes"], notes_html=notes,
        embed_audio=embed_audio, out_dir=out, max_pages=max_pages)  # fmt: skip
    stages.append(("report", time.perf_counter() - t))
    say("report: report.html")
    files = tuple(sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts))
    return OrchestrateResult(out, orch, after, before, out / "report.html", files, tuple(stages))


def check_report(
    score: str | os.PathLike[str] | Score,
    path: str | os.PathLike[str],
    *,
    report: Report | None = None,
    profile: str = "chorale",
    audio: bool = True,
    sample_rate: int = CLASSROOM_SAMPLE_RATE,
    seed: int = 0,
    max_pages: int | None = None,
) -> Path:
    """Write the classroom report of one score (``partita check SCORE --report PATH``).

    The audio is rendered into a temporary folder and embedded, so ``path`` is the only file
    written. Returns ``path``.
    """
    import tempfile

    from partita.report import Version, write_report

    s, title = _read(score)
    with tempfile.TemporaryDirectory(prefix="partita-report-") as tmp:
        sounds = render_version(s, tmp, sample_rate=sample_rate, seed=seed) if audio else {}
        return write_report(path, [Version(title, s, report, sounds, profile=profile)], title=title,
                            embed_audio=True, max_pages=max_pages)
