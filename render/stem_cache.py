"""The render's cache: the key of a part (a sha256 of everything that decides its audio) and of a
phrase, and the files under ``OUT/.cache`` that let a re-render skip what did not change:

- ``<key>.npy``: a part's audio before limiting;
- ``part-<id hash>.json``: the last render of a part id (its key, its phrases as
  :data:`PhraseEntry` rows, and the float WAV stem that holds its audio unchanged).

``render.json`` in the render folder says which stems on disk are up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from partita.render.settings import RENDERER_VERSION, RenderSettings
from partita.render.timbres import Decoder
from partita.symbolic.score import Part, Score

__all__ = ["PhraseEntry", "clear_cache", "is_singer", "part_cache_key", "phrase_key"]

#: One rendered phrase as the cache remembers it: (phrase key, first sample, number of samples).
PhraseEntry = tuple[str, int, int]


def part_cache_key(part: Part, score: Score, settings: RenderSettings, decoder: Decoder | None) -> str:
    """sha256 of everything that decides a part's audio.

    >>> from partita.symbolic.score import Note, Part, Score
    >>> p = Part("a", "Flute", "flute", notes=(Note(0, 1, 72),))
    >>> s = Score(parts=(p,))
    >>> part_cache_key(p, s, RenderSettings(), None) == part_cache_key(p, s, RenderSettings(seed=1), None)
    False
    """
    h = hashlib.sha256()
    sung = is_singer(decoder)
    skip = ("subtype", "tail_s") if sung else ("subtype", "tail_s", "verse", "neutral_vowel", "language")
    head = {
        "id": part.id,
        "instrument": part.instrument,
        "dynamics": [[str(d.onset), d.mark] for d in part.dynamics],
        "hairpins": [[str(x.onset), str(x.end), x.kind] for x in part.hairpins],
        "tempo": [[str(m.onset), m.bpm] for m in score.tempo_map.marks],
        "decoder": _drum_kit(settings) if decoder is None else [decoder.decoder_id, decoder.fingerprint()],
        "settings": {k: v for k, v in settings.to_dict().items() if k not in skip and (decoder is None or not k.startswith("drum"))},
        "version": RENDERER_VERSION,
    }
    from partita.render.performance import swung

    if swung(score):  # only then: the keys of every other render stay as they were
        head["swing"] = True
    h.update(json.dumps(head, sort_keys=True, default=str).encode())
    for n in part.notes:  # every field of every note, in a fixed order
        h.update(
            f"|{n.onset}|{n.duration}|{n.pitch}|{n.velocity}|{','.join(sorted(n.articulations))}|{n.tie}|"
            f"{n.slur}|{n.voice}|{n.vibrato_depth_cents!r}|{n.vibrato_rate_hz!r}|{n.brightness!r}".encode()
        )
        if sung:  # only a sung part's sound depends on its words
            h.update(f"|{n.lyric!r}".encode())
    return h.hexdigest()


def _drum_kit(settings: RenderSettings) -> list[str]:
    from partita.render.drum_sampler import kit_fingerprint

    return ["drums", kit_fingerprint(settings)]


def is_singer(decoder: Decoder | None) -> bool:
    """Whether ``decoder`` sings (its words decide the sound, so they are part of the key)."""
    singer = sys.modules.get("partita.render.singer")  # not imported: no decoder can be a singer
    return singer is not None and isinstance(decoder, singer.SingerDecoder)


def phrase_key(curves: Any, decoder: Decoder, sample_rate: int) -> str:
    """sha256 of everything one phrase's samples depend on."""
    h = hashlib.sha256()
    for arr in (curves.f0_hz, curves.loudness_db, curves.brightness, curves.noise):
        h.update(np.ascontiguousarray(arr).tobytes())
    if getattr(curves, "tract", None) is not None:  # a sung phrase: its vocal tract too
        h.update(np.ascontiguousarray(curves.tract).tobytes())
    meta = [curves.start_frame, curves.frame_rate, curves.seed, curves.voice, decoder.decoder_id,
            decoder.fingerprint(), sample_rate, RENDERER_VERSION]  # fmt: skip
    h.update(json.dumps(meta).encode())
    return h.hexdigest()


def id_hash(part_id: str) -> str:
    return hashlib.sha256(part_id.encode()).hexdigest()[:16]


def read_pointer(cache: Path, part_id: str) -> dict | None:
    try:
        data = json.loads((cache / f"part-{id_hash(part_id)}.json").read_text())
        return data if isinstance(data, dict) and "key" in data else None
    except (OSError, ValueError):
        return None


def load_cached(cache: Path, part_id: str, key: str) -> np.ndarray | None:
    """A part's audio for ``key``: from ``<key>.npy``, or from the float WAV stem the part's
    pointer names when that stem holds the audio unchanged (checked by its sha256)."""
    try:
        return np.load(cache / f"{key}.npy", allow_pickle=False)
    except (OSError, ValueError):
        pass
    pointer = read_pointer(cache, part_id)
    if not pointer or pointer.get("key") != key or not isinstance(pointer.get("stem"), dict):
        return None
    stem = pointer["stem"]
    try:
        offset, n = int(stem["offset"]), int(stem["n"])
        # the samples straight into an aligned array of their own (the header's 58 bytes would
        # leave a view of the file's bytes unaligned, which numpy then copies at every use),
        # hashed with the bytes around them; an edit's render adds its new phrases into it
        audio = np.empty(n, "<f4")
        h = hashlib.sha256()
        with open(stem["path"], "rb") as fh:
            head = fh.read(offset)
            if len(head) != offset or fh.readinto(memoryview(audio).cast("B")) != 4 * n:
                return None
            h.update(head)
            h.update(audio)
            h.update(fh.read())
        if h.hexdigest() != stem["sha256"]:
            return None  # the stem was replaced or edited since
        return audio.reshape(1, n)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def previous_render(cache: Path, part_id: str) -> tuple[np.ndarray, list[PhraseEntry]] | None:
    """The audio and phrase index of the last render of this part id, if the cache has it."""
    pointer = read_pointer(cache, part_id)
    if not pointer or not isinstance(pointer.get("phrases"), list):
        return None
    audio = load_cached(cache, part_id, pointer["key"])
    if audio is None:
        return None
    try:
        return audio, [(str(k), int(s), int(m)) for k, s, m in pointer["phrases"]]
    except (ValueError, TypeError):
        return None


def file_stamp(path: Path) -> dict[str, int]:
    """Size and modification time of a file ({} if missing): a stem edited by hand differs."""
    try:
        st = path.stat()
    except OSError:
        return {}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def up_to_date_stems(out: Path, keys: dict[str, str], names: dict[str, str], n_total: int,
                      settings: RenderSettings) -> dict[str, str]:  # fmt: skip
    """Part id -> sha256 of stems on disk that this render would write identically: the same
    part key, file name, length and format according to render.json, and the file as that
    render left it (same size and modification time)."""
    try:
        data = json.loads((out / "render.json").read_text())
        if (data.get("n_samples") != n_total or data.get("sample_rate") != settings.sample_rate
                or data.get("settings", {}).get("subtype") != settings.subtype
                or data.get("renderer") != RENDERER_VERSION):  # fmt: skip
            return {}
        bytes_per_sample = 4 if settings.subtype == "float" else 3
        found = {}
        for s in data.get("stems", []):
            pid = s["part_id"]
            path = out / s["file"]
            if pid in keys and s.get("key") == keys[pid] and Path(s["file"]).name == names[pid]:
                stamp = file_stamp(path)
                if stamp and stamp == {"size": s.get("size"), "mtime_ns": s.get("mtime_ns")} and (
                    stamp["size"] >= n_total * bytes_per_sample
                ):
                    found[pid] = s["sha256"]
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def old_stem_files(out: Path) -> set[str]:
    try:
        data = json.loads((out / "render.json").read_text())
        return {Path(s["file"]).name for s in data.get("stems", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def clear_cache(out_dir: str | os.PathLike[str]) -> None:
    """Delete the part cache of a render folder."""
    shutil.rmtree(Path(out_dir) / ".cache", ignore_errors=True)
