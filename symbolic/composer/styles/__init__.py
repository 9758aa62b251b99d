"""Shipped reference style profiles and the section ``partita compose`` signs into
provenance.json: the originality check against the composer's training corpus and the
similarity of the piece to the style its plan asked for.

>>> sorted(reference_names())
['bach-chorales', 'classical-quartets', 'fiddle-tunes']
"""

from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["provenance_section", "reference_for", "reference_names", "reference_profile"]


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return tomllib.loads(resources.files(__name__).joinpath("references.toml").read_text("utf-8"))


def reference_names() -> list[str]:
    """The names of the shipped reference profiles."""
    return list(_table()["profiles"])


def reference_for(genre: str) -> str | None:
    """The reference profile of a plan genre, or None when the corpus has none of its kind."""
    return _table()["genres"].get(genre)


@lru_cache(maxsize=4)
def reference_profile(name: str) -> Any:
    """The shipped profile ``name`` (``styles/<name>.json``).

    Raises
    ------
    ConfigError
        An unknown name, or a profile that was not built into this installation.
    """
    from partita.errors import ConfigError
    from partita.symbolic.composer.profile import StyleProfile

    if name not in _table()["profiles"]:
        raise ConfigError(f"unknown reference profile {name!r}; known: {', '.join(reference_names())}")
    ref = resources.files(__name__).joinpath(f"{name}.json")
    if not ref.is_file():
        raise ConfigError(f"reference profile {name}.json is not installed (benchmarks/bench_originality.py --profiles)")
    return StyleProfile.from_dict(json.loads(ref.read_text("utf-8")))


def provenance_section(score: Any, *, genre: str) -> dict[str, Any]:
    """What provenance.json records under ``originality``: the verdict of the originality
    check against the shipped corpus index, the longest shared passages, and the similarity
    of ``score`` to the reference profile of ``genre`` (or why there is none)."""
    from partita.errors import ConfigError
    from partita.symbolic.composer.originality import check_originality, corpus_index_info
    from partita.symbolic.composer.similarity import similarity

    try:
        section: dict[str, Any] = check_originality(score, against=["corpus"]).to_dict()
        info = corpus_index_info()
        section["index"] = {"sha256": info.get("sha256"), "n_pieces": info.get("n_pieces"),
                            "collections": info.get("collections"),
                            "composer_weights_sha256": info.get("composer_weights_sha256")}  # fmt: skip
    except ConfigError as exc:
        section = {"verdict": "not checked", "reason": str(exc)}
    name = reference_for(genre)
    if name is None:
        section["similarity"] = {"genre": genre, "reference": None,
                                 "reason": f"the training corpus has no {genre} collection to compare with"}  # fmt: skip
    else:
        try:
            rep = similarity(score, reference_profile(name))
            section["similarity"] = {"genre": genre, "reference": name, **rep.to_dict()}
        except ConfigError as exc:
            section["similarity"] = {"genre": genre, "reference": name, "reason": str(exc)}
    return section
