"""Decoding defaults per style: what the composer samples with when the caller gives no value.

The table is ``decoding.toml`` (package data; its comments cite the ablation that measured each
row). :func:`compose <partita.symbolic.composer.sample.compose>` reads a plan's genre
(:func:`resolve_decoding`); :func:`regenerate <partita.symbolic.composer.edit.regenerate>`,
``harmonize`` and ``continue_`` read the genre recorded with the score (:func:`genre_of_score`:
the plan ``compose`` stored in the score's metadata, a ``partita.genre`` metadata entry, or the
``provenance.json`` of the folder the score file sits in) and fall back to ``[default]``
(:func:`resolve_for_score`). An explicit temperature or top-p is always taken as given; what was
used is recorded in the score's metadata (``partita.decoding``, :func:`record`).

>>> decoding_for("chorale")  # doctest: +NORMALIZE_WHITESPACE
Decoding(temperature=0.8, top_p=0.9, role_temperature={'melody': 0.6}, best_of=1, critic_weight=1.0, phrase_bars=4,
         key_mask=False, pitch_prior=True)
>>> from partita.symbolic.score import Score
>>> d, genre, where = resolve_for_score(Score(metadata={"partita.genre": "chorale"}), top_p=0.5)
>>> d.top_p, d.temperature, d.key_mask, genre, where
(0.5, 0.8, False, 'chorale', 'metadata partita.genre')
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from partita._presets import Entry, load, table

__all__ = ["Decoding", "decoding_for", "for_edit", "genre_of_score", "load_decoding", "record", "resolve_decoding",
           "resolve_for_score"]  # fmt: skip

#: Score metadata key of the decoding settings a run used (JSON).
METADATA_KEY = "partita.decoding"


@dataclasses.dataclass(frozen=True, slots=True)
class Decoding:
    """What the composer samples with: ``temperature`` and ``top_p`` for every token,
    ``role_temperature`` for the pitches of the parts of a role (``{"melody": 0.6}``), and
    best-of-N over phrases: ``best_of`` candidates per phrase of ``phrase_bars`` bars, chosen
    by the model's mean log-likelihood minus ``critic_weight`` times the style critic's distance
    (:mod:`~partita.symbolic.composer.critic`; only ``compose`` writes candidates);
    ``key_mask``: whether the masks keep every pitch in the key (the profile's, when it has
    one); ``pitch_prior``: whether the genre's calibrated step/leap and scale-degree prior
    (:mod:`~partita.symbolic.composer.priors`) weighs every pitch choice."""

    temperature: float = 1.0
    top_p: float = 0.95
    role_temperature: Mapping[str, float] = dataclasses.field(default_factory=dict)
    best_of: int = 1
    critic_weight: float = 1.0
    phrase_bars: int = 4
    key_mask: bool = True
    pitch_prior: bool = False


def load_decoding(path: str | os.PathLike[str] | None = None) -> dict[str, Decoding]:
    """Genre (and ``"default"``) -> :class:`Decoding`, from ``decoding.toml`` (package data,
    read once) or the file at ``path``; a value missing or out of range raises
    :class:`~partita.errors.PresetError` naming the file, the genre and the field."""
    return load("partita.symbolic.composer", "decoding.toml", _parse_decoding, path)


def decoding_for(genre: str, path: str | os.PathLike[str] | None = None) -> Decoding:
    """The decoding defaults of a plan's ``genre`` from ``decoding.toml`` (package data, read
    once; or the file at ``path``): the genre's entry, else ``[default]``.

    >>> decoding_for("pop")  # doctest: +NORMALIZE_WHITESPACE
    Decoding(temperature=1.0, top_p=0.95, role_temperature={}, best_of=1, critic_weight=1.0, phrase_bars=4,
             key_mask=True, pitch_prior=False)
    """
    table_ = load_decoding(path)
    return table_.get(genre, table_["default"])


def _resolve(genre: str, temperature: float | None, top_p: float | None,
             role_temperature: Mapping[str, float] | None, melody_sampled: bool, best_of: int | None = None) -> Decoding:  # fmt: skip
    d = decoding_for(genre)
    roles = role_temperature
    if roles is None:
        roles = d.role_temperature if temperature is None and melody_sampled else {}
    return Decoding(d.temperature if temperature is None else temperature, d.top_p if top_p is None else top_p,
                    dict(roles), d.best_of if best_of is None else best_of, d.critic_weight, d.phrase_bars,
                    d.key_mask, d.pitch_prior)  # fmt: skip


def resolve_decoding(plan: Any, temperature: float | None = None, top_p: float | None = None,
                     role_temperature: Mapping[str, float] | None = None, *, guide: Any = None,
                     best_of: int | None = None) -> Decoding:  # fmt: skip
    """What :func:`~partita.symbolic.composer.sample.compose` samples ``plan`` with: each
    setting given, else the genre's (:func:`decoding_for`). The genre's melody temperature
    applies only when ``temperature`` is not given either, and not with a guide (whose melody is
    kept, not sampled); nor does its ``best_of`` (a guide's parts are written by harmonize).

    >>> from partita.symbolic.composer.planner import plan
    >>> d = resolve_decoding(plan("a chorale for SATB choir"))
    >>> d.temperature, d.top_p, d.role_temperature, d.best_of, d.key_mask, d.pitch_prior
    (0.8, 0.9, {'melody': 0.6}, 1, False, True)
    >>> d = resolve_decoding(plan("a chorale for SATB choir"), temperature=1.0, best_of=4)
    >>> d.temperature, d.top_p, d.role_temperature, d.best_of
    (1.0, 0.9, {}, 4)
    """
    d = _resolve(getattr(plan, "genre", "default"), temperature, top_p, role_temperature, guide is None, best_of)
    return d if guide is None or best_of is not None else dataclasses.replace(d, best_of=1)


def genre_of_score(score: Any, path: str | os.PathLike[str] | None = None, *, given: str | None = None) -> tuple[str, str]:
    """``(genre, where it was read)`` of a score: ``given`` (a style of ``styles.toml``, the
    caller's word: an unknown one is a ConfigError listing the known), else the genre of the plan
    ``compose`` stored in its metadata (``partita.plan``), else its ``partita.genre`` metadata,
    else, when ``path`` (the file the score was read from) is given, the plan in the
    ``provenance.json`` beside it; else ``("default", "none recorded")``."""
    if given is not None:
        from partita.symbolic.arranger.library import style

        return style(given).name, "given"
    md = getattr(score, "metadata", {}) or {}
    try:
        genre = json.loads(md["partita.plan"]).get("genre")
        if isinstance(genre, str) and genre:
            return genre, "metadata partita.plan"
    except (KeyError, ValueError, AttributeError):
        pass
    if md.get("partita.genre"):
        return str(md["partita.genre"]), "metadata partita.genre"
    if path is not None:
        prov = Path(path).parent / "provenance.json"
        try:
            genre = json.loads(prov.read_text(encoding="utf-8"))["record"]["plan"]["genre"]
            if isinstance(genre, str) and genre:
                return genre, "provenance.json"
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return "default", "none recorded"


def resolve_for_score(score: Any, temperature: float | None = None, top_p: float | None = None, *,
                      path: str | os.PathLike[str] | None = None, melody_sampled: bool = True,
                      genre: str | None = None) -> tuple[Decoding, str, str]:  # fmt: skip
    """What an edit of ``score`` (regenerate, harmonize, continue) samples with: each setting
    given, else the defaults of ``genre`` or of the score's genre (:func:`genre_of_score`), else
    ``[default]``. The genre's melody temperature applies when ``temperature`` is not given and
    a melody part is sampled (``melody_sampled``). Returns the decoding, the genre and where it
    was read."""
    genre, source = genre_of_score(score, path, given=genre)
    d = _resolve(genre, temperature, top_p, None, melody_sampled)
    return dataclasses.replace(d, best_of=1), genre, source  # edits write no candidates


def for_edit(score: Any, source: Any, temperature: float | None, top_p: float | None,
             sampled_roles: Sequence[str], style: str | None = None) -> tuple[Decoding, str, Any]:  # fmt: skip
    """What an edit (:mod:`~partita.symbolic.composer.edit`) samples with: the decoding
    (:func:`resolve_for_score`; ``source`` is the path the score was read from, if any;
    ``style``: the caller's, before the score's own), its metadata record (:func:`record`), and
    the genre's calibrated prior placed in the score's first key (None where the genre's
    decoding has none, or the score has no key)."""
    from partita.symbolic.composer.priors import prior_for

    path = source if isinstance(source, (str, os.PathLike)) else None
    d, genre, where = resolve_for_score(score, temperature, top_p, path=path, melody_sampled="melody" in sampled_roles,
                                        genre=style)  # fmt: skip
    prior = prior_for(genre, score.key_signatures[0]) if d.pitch_prior and score.key_signatures else None
    return d, record(d, genre, where, given={"temperature": temperature, "top_p": top_p}), prior


def record(d: Decoding, genre: str, source: str, *, given: Mapping[str, Any] | None = None) -> str:
    """The JSON of ``partita.decoding``: the settings used, the genre whose defaults filled the
    ones not given, where the genre was read, and which settings the caller gave."""
    return json.dumps({"temperature": d.temperature, "top_p": d.top_p, "role_temperature": dict(d.role_temperature),
                       "genre": genre, "genre_source": source,
                       "given": sorted(k for k, v in (given or {}).items() if v is not None)}, sort_keys=True)  # fmt: skip


def describe(d: Decoding) -> str:
    """One phrase for a CLI line: ``temperature 0.8 (melody pitches 0.6), top-p 0.9``."""
    roles = ", ".join(f"{r} pitches {t:g}" for r, t in sorted(d.role_temperature.items()))
    return f"temperature {d.temperature:g}{f' ({roles})' if roles else ''}, top-p {d.top_p:g}"


def _parse_decoding(data: dict, file: str) -> dict[str, Decoding]:
    table(data, "default", file=file)
    weight = float(Entry(file, "default", data["default"]).number("critic_weight", 0.0, 100.0))
    out = {}
    for genre, raw in data.items():
        e = Entry(file, genre, raw)
        melody = e.number("melody_temperature", 0.0, 2.0, default=None)
        out[genre] = Decoding(float(e.number("temperature", 0.0, 2.0)), float(e.number("top_p", 0.05, 1.0)),
                              {} if melody is None else {"melody": float(melody)},
                              int(e.number("best_of", 1, 64, default=1, integer=True)),
                              float(e.number("critic_weight", 0.0, 100.0, default=weight)),
                              int(e.number("phrase_bars", 2, 4, default=4, integer=True)),
                              bool(e.flag("key_mask", default=True)), bool(e.flag("pitch_prior", default=False)))  # fmt: skip
        if out[genre].phrase_bars not in (2, 4):
            raise e.error("phrase_bars", f"{out[genre].phrase_bars}: 2 or 4 (the critic's reference lengths)")
        e.done()
    return out
