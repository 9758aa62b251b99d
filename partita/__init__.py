"""partita: compose and perform music.

The facade: one function per command of the CLI, each returning a typed result, and everything
heavy imported on first use.

==========================  =====================================================  ==========================
function                    does                                                   returns
==========================  =====================================================  ==========================
:func:`load`, :func:`save`  read / write a score (MusicXML, MIDI, MuseScore, ABC)  ``Score`` / ``Path``
:func:`plan`                read a prompt into a plan                              ``Plan``
:func:`compose`             the main job: plan -> score -> stems -> mix -> signed  ``PipelineResult``
:func:`compose_score`       the score alone, for a plan                            ``Score``
:func:`check`               theory and orchestration rules                         ``Report``
:func:`render`              one WAV stem per part                                  ``RenderResult``
:func:`mix`                 mix and master a render folder again, re-signed        ``RemixResult``
:func:`verify`              check a folder's signature and file hashes             ``VerifyReport``
:func:`regenerate`          rewrite one part over a span of bars                   ``Score``
:func:`harmonize`           write the other parts under a melody                   ``Score``
:func:`continue_`           write more bars after the last                         ``Score``
:func:`profile`             style statistics of scores (never the notes)           ``StyleProfile``
:func:`similarity`          style similarity 0..1 of A to B, per feature           ``SimilarityReport``
:func:`originality`         passages shared with the training corpus or a folder   ``OriginalityReport``
:func:`orchestrate`         a score for another ensemble, with report.html         ``OrchestrateResult``
:func:`engrave`             engraved notation (verovio SVG pages)                  ``Engraving``
:func:`render_batch`        many scores into a dataset, on Dask                    ``BatchResult``
:func:`compose_batch`       a table of prompts into a dataset, on Dask             ``BatchResult``
:func:`train_composer`      build a corpus and train (or fine-tune) the composer   ``ComposerTrainingResult``
:func:`train_instrument`    train a neural instrument decoder, with its card       ``InstrumentTrainingResult``
:func:`upgrade_checkpoint`  rewrite an older checkpoint in today's format          ``str`` (its sha256)
==========================  =====================================================  ==========================

Library code never prints: long functions take ``progress``, a callable, where the CLI passes
one that prints.

>>> import partita
>>> partita.__version__
'0.1.0'
>>> p = partita.plan("a calm chorale for SATB choir", duration_s=20)
>>> [part.instrument for part in p.instrumentation]
['soprano', 'alto', 'tenor', 'bass']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from partita._version import __version__
from partita.errors import PartitaError

__all__ = [
    "PartitaError", "__version__", "check", "compose", "compose_score", "continue_", "harmonize", "load", "mix",
    "originality", "plan", "profile", "regenerate", "render", "save", "similarity", "verify", "orchestrate",
    "engrave", "render_batch", "compose_batch", "train_composer", "train_instrument", "upgrade_checkpoint",
]  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover
    import os
    from pathlib import Path

    from typing import Sequence

    from partita.batch import BatchResult
    from partita.classroom import OrchestrateResult
    from partita.engraving import Engraving
    from partita.mixing import MixResult
    from partita.pipeline import PipelineResult
    from partita.provenance import VerifyReport
    from partita.render.instrument_training import InstrumentTrainingResult
    from partita.render.settings import RenderResult
    from partita.symbolic.composer.originality import OriginalityReport
    from partita.symbolic.composer.planner import Plan
    from partita.symbolic.composer.profile import StyleProfile
    from partita.symbolic.composer.similarity import SimilarityReport
    from partita.symbolic.composer.training import ComposerTrainingResult
    from partita.symbolic.score import Score
    from partita.theory_rules.engine import Report


def load(path: str | os.PathLike[str]) -> Score:
    """Read a score (MusicXML, MIDI, MuseScore, ABC) from ``path``."""
    from partita.symbolic.io import read

    return read(path)


def save(score: Score, path: str | os.PathLike[str]) -> Path:
    """Write ``score`` to ``path`` (format by extension), atomically."""
    from partita.symbolic.io import write

    return write(score, path)


def render(
    score: Score, out_dir: str | os.PathLike[str], *, sample_rate: int = 48000, seed: int = 0, **options: Any
) -> RenderResult:
    """Perform ``score`` into one WAV stem per part in ``out_dir/stems`` plus ``render.json``.

    ``options`` go to :func:`partita.render.stems.render` (``settings``, ``decoders``,
    ``cache_dir``, ``workers``, ``progress`` ...)."""
    from partita.render.stems import render as _render

    return _render(score, out_dir, sample_rate=sample_rate, seed=seed, **options)


def plan(prompt: str = "", **options: Any) -> Plan:
    """Read ``prompt`` into a :class:`~partita.symbolic.composer.planner.Plan`: key, tempo, meter,
    sections with chords, and the ensemble with roles. ``options``: ``tags``, ``duration_s``,
    ``key``, ``tempo``, ``meter``, ``ensemble``, ``seed`` (see
    :func:`partita.symbolic.composer.planner.plan`). Edit the plan with ``dataclasses.replace``
    and pass it to :func:`compose`."""
    from partita.symbolic.composer.planner import plan as _plan

    return _plan(prompt, **options)


def compose(
    prompt_or_plan: str | Plan,
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    progress: Callable[[str, str], None] | None = None,
    **options: Any,
) -> PipelineResult:
    """The main job: a prompt (or a :class:`~partita.symbolic.composer.planner.Plan`) composed,
    performed into stems, mixed, mastered and signed in ``out_dir``.

    ``progress(stage, message)`` hears each stage; ``options`` go to
    :func:`partita.pipeline.compose_to_master` (``weights``, ``temperature``, ``top_p``,
    ``profile``, ``render_settings``, ``mix_settings``, ``key_dir``, ``workers``, ``guide``,
    ``lyrics``: words to sing, see docs/vocals.md).
    The files written are listed by ``result.files()``."""
    from partita.pipeline import compose_to_master

    p = plan(prompt_or_plan) if isinstance(prompt_or_plan, str) else prompt_or_plan
    return compose_to_master(p, out_dir, seed=seed, progress=progress, **options)


def compose_score(the_plan: Plan, *, seed: int = 0, **options: Any) -> Score:
    """Only the score for ``the_plan`` (no audio): see
    :func:`partita.symbolic.composer.sample.compose` for ``options`` (``weights``,
    ``temperature``, ``top_p``, ``profile``, ``guide``, ``progress`` ...)."""
    from partita.symbolic.composer.sample import compose as _compose

    return _compose(the_plan, seed=seed, **options)


def check(score: Score, *, profile: str = "classical", **options: Any) -> Report:
    """Run a theory_rules profile (``chorale``, ``classical``, ``pop``, ``orchestration``) over
    ``score``; ``options``: ``enable``, ``disable``, ``params``, ``chords`` (see
    :func:`partita.theory_rules.check`). The report lists violations by part and bar."""
    from partita.theory_rules import check as _check

    return _check(score, profile=profile, **options)


def mix(out_dir: str | os.PathLike[str], **options: Any) -> MixResult:
    """Mix and master a render folder's stems again (the stems are never written) and sign it
    again; ``options``: ``settings`` (a MixSettings), ``target_lufs``, ``key_dir``, ``progress``
    (see :func:`partita.pipeline.remix`)."""
    from partita.pipeline import remix

    return remix(out_dir, **options)


def verify(out_dir: str | os.PathLike[str], **options: Any) -> VerifyReport:
    """Check ``out_dir/provenance.json``'s signature and every recorded file's sha256;
    ``options``: ``key_dir``, ``public_key``. ``report.ok`` is the verdict."""
    from partita.provenance import verify as _verify

    return _verify(out_dir, **options)


def regenerate(score: Score, *, part: str, bars: tuple[int, int], seed: int = 0, **options: Any) -> Score:
    """A copy of ``score`` with ``part`` (id or name) written again in ``bars`` (first, last; as
    MuseScore numbers them) and everything else kept; see
    :func:`partita.symbolic.composer.edit.regenerate`."""
    from partita.symbolic.composer.edit import regenerate as _regenerate

    return _regenerate(score, part=part, bars=bars, seed=seed, **options)


def harmonize(melody: Score, *, ensemble: str = "string_quartet", seed: int = 0, **options: Any) -> Score:
    """The other parts of ``ensemble`` written under ``melody``'s line; see
    :func:`partita.symbolic.composer.edit.harmonize`."""
    from partita.symbolic.composer.edit import harmonize as _harmonize

    return _harmonize(melody, ensemble=ensemble, seed=seed, **options)


def continue_(score: Score, *, bars: int, seed: int = 0, **options: Any) -> Score:
    """``score`` with ``bars`` more bars after its last, every part continuing; see
    :func:`partita.symbolic.composer.edit.continue_`."""
    from partita.symbolic.composer.edit import continue_ as _continue

    return _continue(score, bars=bars, seed=seed, **options)


def profile(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, label: str | None = None) -> StyleProfile:
    """The style profile of score files and folders (``inputs``: a path or a list of them):
    summary statistics per 8-bar segment, never the notes; see
    :func:`partita.symbolic.composer.profile.profile_paths`. ``.save(path)`` writes it."""
    from partita.symbolic.composer.profile import profile_paths

    return profile_paths([inputs] if isinstance(inputs, (str, bytes)) or hasattr(inputs, "__fspath__") else list(inputs),
                         label=label)  # fmt: skip


def similarity(a: Any, b: Any, **options: Any) -> SimilarityReport:
    """The style similarity of ``a`` to ``b`` (each a score, scores, a folder, a score file, a
    profile or a profile file): ``.score`` 0..1 and one MGEval overlapped area per feature; see
    :func:`partita.symbolic.composer.similarity.similarity`."""
    from partita.symbolic.composer.similarity import similarity as _similarity

    return _similarity(a, b, **options)


def originality(score: Score, *, against: Any = ("corpus",), **options: Any) -> OriginalityReport:
    """The longest passages ``score`` shares with the composer's training corpus
    (``"corpus"``) and any folder in ``against``: ``.verdict`` ``clear`` or ``flagged``,
    ``.matches`` with source piece, bars and length; see
    :func:`partita.symbolic.composer.originality.check_originality`."""
    from partita.symbolic.composer.originality import check_originality

    return check_originality(score, against=against, **options)


def orchestrate(score: Score | str | os.PathLike[str], ensemble: str, out_dir: str | os.PathLike[str], **options: Any) -> OrchestrateResult:
    """``score`` (a Score or a file) given to ``ensemble`` (a preset such as ``"wind quintet"``
    or an instrument list), with the new score, ``changes.json``, ``check.json``, the audio of
    both versions and ``report.html`` in ``out_dir``; ``options``: ``assign``, ``fit``,
    ``profile``, ``audio`` ... (see :func:`partita.classroom.orchestrate`)."""
    from partita.classroom import orchestrate as _orchestrate

    return _orchestrate(score, ensemble, out_dir, **options)


def engrave(score: Score, **options: Any) -> Engraving:
    """Engraved notation of ``score`` as SVG pages (verovio); ``options``: ``page_width_mm``,
    ``page_height_mm``, ``scale``, ``max_pages`` (see :func:`partita.engraving.engrave`)."""
    from partita.engraving import engrave as _engrave

    return _engrave(score, **options)


def render_batch(sources: Any, out_dir: str | os.PathLike[str], **options: Any) -> BatchResult:
    """Render many scores into a dataset folder on Dask (one folder per score, a manifest);
    see :func:`partita.batch.render_batch`."""
    from partita.batch import render_batch as _render_batch

    return _render_batch(sources, out_dir, **options)


def compose_batch(spec: str | os.PathLike[str], out_dir: str | os.PathLike[str], **options: Any) -> BatchResult:
    """Compose and render a table of prompts, seeds and ensembles into a dataset on Dask; see
    :func:`partita.batch.compose_batch`."""
    from partita.batch import compose_batch as _compose_batch

    return _compose_batch(spec, out_dir, **options)


def train_composer(corpus: str = "music21:all", *, progress: Callable[[str, str], None] | None = None,
                   **options: Any) -> ComposerTrainingResult:  # fmt: skip
    """Build a corpus and train (or fine-tune, or resume) the composer.

    ``corpus`` is ``music21:COLLECTIONS`` or a folder of MIDI/MusicXML (parsed, cached,
    tokenized); ``init="shipped"`` fine-tunes the shipped weights, ``resume=True`` continues.

    ``progress(stage, message)`` hears the corpus size, the held-out losses and the export;
    ``options``: ``out_dir``, ``steps``, ``minutes``, ``model``, ``device``, ``export`` ... (see
    :func:`partita.symbolic.composer.training.train_composer`)."""
    from partita.symbolic.composer.training import train_composer as _train_composer

    return _train_composer(corpus, progress=progress, **options)


def train_instrument(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], name: str, *,
                     progress: Callable[[str, str], None] | None = None, **options: Any) -> InstrumentTrainingResult:  # fmt: skip
    """Train a neural instrument decoder from a soundfont or recordings (for a struck or plucked
    instrument from a soundfont: fit a string model, ``model="auto"``).

    ``source`` is a soundfont or a folder of monophonic recordings, or a sequence of them in any
    mix (the soundfonts share ``data_minutes`` evenly; each source keeps its own held-out items
    and the card lists every source with its licence); writes ``NAME.safetensors``,
    its model card and ``manifest.json`` in ``out_dir``.

    ``progress(stage, message)`` hears the data, the validation losses and the export;
    ``options``: ``out_dir``, ``minutes``, ``program``, ``device``, ``resume`` ... (see
    :func:`partita.render.instrument_training.train_instrument`)."""
    from partita.render.instrument_training import train_instrument as _train_instrument

    return _train_instrument(source, name, progress=progress, **options)


def upgrade_checkpoint(old: str | os.PathLike[str], new: str | os.PathLike[str], *, card: str | None = None) -> str:
    """Rewrite a composer or instrument checkpoint of an older partita format in today's, the
    arrays bit for bit; returns the new file's sha256 (see :func:`partita.upgrade.upgrade_checkpoint`)."""
    from partita.upgrade import upgrade_checkpoint as _upgrade

    return _upgrade(old, new, card=card)
