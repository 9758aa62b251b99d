"""Where a neural decoder's training audio comes from: one or several soundfonts and folders of
recordings (``partita train-instrument SOURCE [SOURCE ...]``).

Each source is a small record with the same four methods: its part of the dataset's cache key,
a sentence for the model card, its licence, and its audio items. A soundfont renders its share
of ``--data-minutes`` (split evenly between the soundfonts of the list) with the same GM program,
bank and seed as the others; a folder gives all its recordings. :func:`describe_sources` and
:func:`cache_key` turn the list into what the card, the checkpoint header and the cache record; with one source they are exactly what a single-source training wrote before, so its
cached data stays valid and its card reads the same.

>>> is_soundfont("FluidR3_GM.sf2"), is_soundfont("MuseScore_General.SF3"), is_soundfont("takes")
(True, True, False)
>>> source_paths("takes"), source_paths(["a.sf2", "takes"])
(('takes',), ('a.sf2', 'takes'))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, Union

from partita.errors import ConfigError
from partita.render.training_io import preset_name, soundfont_credit, soundfont_target

if TYPE_CHECKING:  # pragma: no cover
    from partita.render.dataset import Item

__all__ = ["SOUNDFONT_SUFFIXES", "SoundfontSource", "RecordingsSource", "TrainingSource", "is_soundfont", "source_paths",
           "training_sources", "cache_key", "SourcesDescription", "describe_sources"]  # fmt: skip

SOUNDFONT_SUFFIXES = (".sf2", ".sf3")


def is_soundfont(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a soundfont (by its suffix, ``.sf2`` or ``.sf3``)."""
    return Path(path).suffix.lower() in SOUNDFONT_SUFFIXES


def source_paths(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> tuple[str, ...]:
    """One path, or a sequence of them, as a tuple of strings in the order given.

    Raises
    ------
    ConfigError
        No source at all, or the same file or folder given twice.
    """
    paths = (str(source),) if isinstance(source, (str, os.PathLike)) else tuple(str(s) for s in source)
    if not paths:
        raise ConfigError("no SOURCE given: name a soundfont (.sf2/.sf3) or a folder of recordings")
    seen: dict[Path, str] = {}
    for p in paths:
        if Path(p).resolve() in seen:
            raise ConfigError(f"SOURCE given twice ({seen[Path(p).resolve()]} and {p}): each soundfont or folder once", file=p)
        seen[Path(p).resolve()] = p
    return paths


@dataclass(frozen=True, slots=True)
class SoundfontSource:
    """A soundfont rendered through fluidsynth (:func:`~partita.render.dataset.render_soundfont`).

    Attributes
    ----------
    path
        The ``.sf2``/``.sf3`` file, as given.
    program, bank
        The preset rendered (the same for every soundfont of a training).
    midi_range
        Sounding MIDI range of the isolated notes and phrases.
    minutes
        This soundfont's share of the audio to render.
    seed
        Seed of the notes and phrases drawn.
    tremolo
        A third of the phrases bowed tremolo.
    """

    path: Path
    program: int
    midi_range: tuple[int, int]
    minutes: float
    seed: int
    bank: int = 0
    tremolo: bool = False

    #: Rendered notes beyond the f0 tracker's range are left out, not refused.
    skip_unpitched = True

    @property
    def label(self) -> str:
        """How the card names it: the file's name."""
        return self.path.name

    def key(self, f0_method: str) -> str:
        """Its part of the dataset's cache key (bank 0 keeps the key earlier versions wrote)."""
        return (f"sf|{self.path.resolve()}|{self.program}|{self.midi_range}|{self.minutes}|{self.seed}|{f0_method}"
                + (f"|bank {self.bank}" if self.bank else "") + ("|tremolo" if self.tremolo else ""))  # fmt: skip

    def description(self) -> str:
        """One sentence for the model card: the soundfont, its maker, the preset and what was rendered."""
        credit, _ = soundfont_credit(self.path)
        preset = (f"GM program {self.program}" if not self.bank
                  else f"program {self.program} of bank {self.bank} ({preset_name(self.path, self.program, self.bank)})")  # fmt: skip
        lo, hi = self.midi_range
        return (f"{self.path.name} ({credit}) {preset}, rendered by fluidsynth: isolated notes "
                f"over MIDI {lo}-{hi} at velocities 45/80/115, 0.35 s and 1.2 s, and legato phrases "
                f"with vibrato (pitch bend) and crescendi (CC 11)"
                + (", and tremolo (re-struck thirty-second notes, a third of the phrases)" if self.tremolo else "")
                + f"; {self.minutes:g} min of audio.")  # fmt: skip

    def licence(self) -> str:
        """The licence of the rendered audio (:func:`~partita.render.training_io.soundfont_credit`)."""
        return soundfont_credit(self.path)[1]

    def items(self) -> list[Item]:
        """The rendered notes and phrases."""
        from partita.render.dataset import render_soundfont

        return render_soundfont(program=self.program, midi_range=self.midi_range, minutes=self.minutes, soundfont=self.path,
                                seed=self.seed, bank=self.bank, tremolo=self.tremolo)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordingsSource:
    """A folder (searched recursively) of the user's monophonic recordings
    (:func:`~partita.render.dataset.read_recordings`), all of which are used."""

    path: Path

    #: A recording with no pitched content is refused, naming it.
    skip_unpitched = False

    @property
    def label(self) -> str:
        """How the card names it: the folder as given."""
        return str(self.path)

    def key(self, f0_method: str) -> str:
        """Its part of the dataset's cache key: the folder and every file's name and size."""
        files = sorted(p for p in self.path.rglob("*") if p.is_file())
        return f"dir|{self.path.resolve()}|{f0_method}|" + "|".join(f"{p.name}:{p.stat().st_size}" for p in files)

    def description(self) -> str:
        """One sentence for the model card."""
        return f"The user's recordings in `{self.path}`."

    def licence(self) -> str:
        """The recordings' licence: the user's to say."""
        return "that of the recordings (the user's)"

    def items(self) -> list[Item]:
        """The recordings, mixed down to mono."""
        from partita.render.dataset import read_recordings

        return read_recordings(self.path)


TrainingSource = Union[SoundfontSource, RecordingsSource]


def training_sources(paths: Sequence[str], *, name: str, program: int | None, data_minutes: float, seed: int,
                     bank: int = 0, tremolo: bool = False) -> list[TrainingSource]:  # fmt: skip
    """The sources of a training, in the order given: every soundfont renders ``program`` of
    ``bank`` (from ``name``'s catalog entry when ``program`` is None) over ``name``'s range, and
    ``data_minutes / number of soundfonts`` minutes of audio.

    Raises
    ------
    DataError
        A path that is neither a soundfont nor a folder, naming it.
    ConfigError
        A soundfont without ``program`` for an instrument outside the catalog.
    """
    from partita.render.dataset import DataError

    for p in paths:
        if not (_soundfont_file(p) or Path(p).is_dir()):
            raise DataError("SOURCE must be a .sf2 soundfont or a folder of recordings", file=p)
    n_soundfonts = sum(1 for p in paths if _soundfont_file(p))
    midi_range = (48, 84)
    if n_soundfonts:
        program, midi_range = soundfont_target(name, program, default_range=midi_range)
    # one soundfont: the minutes as given, so the cache key is the one earlier versions wrote
    share = data_minutes if n_soundfonts <= 1 else data_minutes / n_soundfonts
    return [SoundfontSource(Path(p), int(program), midi_range, share, seed, bank, tremolo) if _soundfont_file(p)  # type: ignore[arg-type]
            else RecordingsSource(Path(p)) for p in paths]  # fmt: skip


def _soundfont_file(path: str) -> bool:
    """A soundfont file (a folder is a folder of recordings, whatever its name)."""
    return Path(path).is_file() and is_soundfont(path)


def cache_key(sources: Sequence[TrainingSource], f0_method: str) -> str:
    """The dataset's cache key before hashing: one source's own key (as earlier versions wrote),
    several sources' keys joined in order."""
    keys = [s.key(f0_method) for s in sources]
    return keys[0] if len(keys) == 1 else "multi|" + "||".join(keys)


@dataclass(frozen=True, slots=True)
class SourcesDescription:
    """What the model card and the checkpoint header say about the data.

    Attributes
    ----------
    text
        The card's paragraph: one source's sentence, or a list of the sources, each with its
        licence; then the f0 estimator.
    licence
        The sources' licences, each once, in order, joined by "; ".
    records
        Several sources: ``{"path", "kind", "description", "licence"}`` of each, for the
        header's ``data["sources"]``; one source: empty (its header reads as before).
    labels
        How the card names each source: a soundfont's file name, a folder as given.
    """

    text: str
    licence: str
    records: tuple[dict[str, str], ...]
    labels: tuple[str, ...]


def describe_sources(sources: Sequence[TrainingSource], *, f0_desc: str) -> SourcesDescription:
    """Describe the sources once (a soundfont of another bank is opened to read its preset's name)."""
    sentences = [s.description() for s in sources]
    licences = [s.licence() for s in sources]
    licence = "; ".join(dict.fromkeys(licences))
    if len(sources) == 1:
        return SourcesDescription(f"{sentences[0]} f0 by {f0_desc}.", licence, (), (sources[0].label,))
    rows = "\n".join(f"- {d} Licence: {lic}." for d, lic in zip(sentences, licences))
    text = (f"{len(sources)} sources (the soundfonts share the rendered minutes evenly; a folder gives all its "
            f"recordings), each with its own held-out items:\n\n{rows}\n\nf0 by {f0_desc}.")  # fmt: skip
    records = tuple({"path": str(s.path), "kind": "soundfont" if isinstance(s, SoundfontSource) else "recordings",
                     "description": d, "licence": lic} for s, d, lic in zip(sources, sentences, licences))  # fmt: skip
    return SourcesDescription(text, licence, records, tuple(s.label for s in sources))
