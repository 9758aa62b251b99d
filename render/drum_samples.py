"""Drum one-shots: a sample kit folder, made once from a soundfont by fluidsynth, or a user's own.

A **kit folder** holds ``kit.toml`` and one audio file per (key, velocity layer, round-robin
take)::

    sample_rate = 48000
    source = "MuseScore_General_Lite.sf3"
    [[hit]]
    key = 38            # General MIDI percussion key
    velocity = 96       # the layer: plays velocities nearest to it
    variant = 0         # round-robin take
    file = "k038_v096_r0.flac"

:func:`build_kit` makes one from a soundfont: every key of the kit map is played by the
``fluidsynth`` program (Debian ``fluidsynth``; one process per group of keys, reverb and chorus
off) at each layer's velocity and each take's velocity offset and detune
(``drum_sampler.toml`` [build]), then cut into one-shots (from the attack, the first sample 40 dB
below the hit's peak, to the last sample above ``floor_db``, 5 ms fade), summed to mono (the sampler pans each piece itself), given
the layer's brightness (a 2nd-order low-pass whose cutoff follows the SF2.01 velocity-to-cutoff
default modulator) and written as 24-bit FLAC. :func:`default_kit` keeps built kits under
``$XDG_CACHE_HOME/partita/drum-kits/<key>``, the key a sha256 of the soundfont's bytes, the
fluidsynth version, the build table, the sample rate and :data:`KIT_FORMAT`.

:func:`load_sample_kit` reads a kit folder. A sample that is missing or unreadable is named in
a :class:`~partita.render.settings.RenderWarning`; its key then plays the designed drum
(:func:`partita.render.drums.drum_hit`) -- the render goes on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from partita._presets import Entry, load, table
from partita.errors import ExternalToolError, PresetError
from partita.render.settings import RenderWarning

__all__ = [
    "KIT_FORMAT", "KIT_RATE", "SOUNDFONTS", "GROUPS", "SampleKit", "SamplerLayout", "build_kit", "default_kit",
    "default_soundfont", "fluidsynth_drums", "layout", "load_sample_kit",
]  # fmt: skip

#: Version of the one-shot cutting recipe: part of every built kit's cache key.
KIT_FORMAT = "drum-kit-3"
#: Sample rate of the kits :func:`default_kit` builds.
KIT_RATE = 48000
#: Soundfonts the default kit is made from, first found wins (both MIT; see docs/licences.md).
SOUNDFONTS = ("/usr/share/sounds/sf3/MuseScore_General.sf3", "/usr/share/sounds/sf2/FluidR3_GM.sf2")
#: The stems ``--drum-stems`` writes, in this order (``percussion`` only when the part plays it).
GROUPS = ("kick", "snare", "hats", "toms", "cymbals", "percussion")


@dataclass(frozen=True, slots=True)
class SamplerLayout:
    """``drum_sampler.toml``: per key its group, pan and render slot; the build recipe; the
    choke groups; the humanisation spreads; the level between layers. ``text`` is what of it
    decides a built kit (the [build] table and the slots)."""

    group: Mapping[int, str]
    pan: Mapping[int, float]
    slot_s: Mapping[int, float]
    velocities: tuple[int, ...]
    variants: tuple[tuple[int, float], ...]
    bright_hz: float
    floor_db: float
    choke: tuple[frozenset[int], ...]
    choke_fade_ms: float
    timing_sd_ms: float
    velocity_sd: float
    level_exponent: float
    text: str = field(default="", repr=False)


def layout(path: str | os.PathLike[str] | None = None) -> SamplerLayout:
    """The sampler's layout from ``drum_sampler.toml`` (package data), or the file at ``path``.

    >>> lay = layout()
    >>> lay.group[42], lay.velocities, 46 in lay.choke[0]
    ('hats', (32, 64, 96, 127), True)
    """
    return load("partita.render", "drum_sampler.toml", _parse_layout, path)


def _parse_layout(data: dict[str, Any], file: str) -> SamplerLayout:
    b = Entry(file, "build", table(data, "build", file=file))
    vels = tuple(int(v) for v in b.items("velocities"))
    if not vels or any(not 1 <= v <= 127 for v in vels) or list(vels) != sorted(set(vels)):
        raise b.error("velocities", "must be rising MIDI velocities 1-127")
    variants = tuple((int(dv), float(c)) for dv, c in b.items("variants"))
    if not variants or any(abs(dv) > 20 or abs(c) > 100 for dv, c in variants):
        raise b.error("variants", "each take is [velocity offset -20..20, detune cents -100..100]")
    bright = float(b.number("bright_hz", 1000.0, 24000.0))
    slot = float(b.number("slot_s", 0.5, 10.0))
    floor = float(b.number("floor_db", -120.0, -20.0))
    b.done()
    c = Entry(file, "choke", table(data, "choke", file=file))
    fade = float(c.number("fade_ms", 0.5, 100.0))
    groups = tuple(frozenset(int(k) for k in c.items(name)) for name in sorted(set(c.data) - {"fade_ms"}))
    c.done()
    h = Entry(file, "humanize", table(data, "humanize", file=file))
    timing, vsd = float(h.number("timing_sd_ms", 0.0, 50.0)), float(h.number("velocity_sd", 0.0, 0.5))
    h.done()
    p = Entry(file, "play", table(data, "play", file=file))
    level_exponent = float(p.number("level_exponent", 0.5, 4.0))
    p.done()
    group, pan, slots = {}, {}, {}
    for key, raw in table(data, "piece", file=file).items():
        e = Entry(file, f"piece {key}", raw)
        if not (key.isdigit() and int(key) <= 127):
            raise e.error(None, "a percussion key is a MIDI note number 0-127")
        group[int(key)] = e.text("group", choices=GROUPS)
        pan[int(key)] = float(e.number("pan", -1.0, 1.0))
        slots[int(key)] = float(e.number("slot_s", 0.5, 10.0, default=slot))
        e.done()
    return SamplerLayout(group, pan, slots, vels, variants, bright, floor, groups, fade, timing, vsd, level_exponent,
                         text=json.dumps([data["build"], sorted(slots.items())], sort_keys=True))  # fmt: skip


@dataclass(frozen=True, slots=True)
class SampleKit:
    """A loaded kit: per key, per layer velocity, its round-robin takes (float32 mono arrays at
    ``sample_rate``). ``fingerprint`` is a sha256 of everything that decides the audio.
    ``missing`` names the files that could not be read (their keys play the designed drum)."""

    folder: Path
    sample_rate: int
    samples: Mapping[int, Mapping[int, tuple[np.ndarray, ...]]]
    fingerprint: str
    missing: tuple[str, ...] = ()
    source: str = ""


def load_sample_kit(folder: str | os.PathLike[str], *, sample_rate: int) -> SampleKit:
    """Read a kit folder (``kit.toml`` and its samples), resampled to ``sample_rate`` if need be.

    Raises :class:`~partita.errors.PresetError` when ``kit.toml`` is missing or malformed. A
    sample file that is missing or unreadable is a :class:`RenderWarning` naming the file; its
    key is left out of the kit (the sampler plays the designed drum for it).
    """
    path = Path(folder) / "kit.toml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise PresetError("not a drum kit folder (no kit.toml)", file=str(folder)) from None
    kit = _load_kit_cached(str(Path(folder).resolve()), int(sample_rate), stamp)
    for name in kit.missing:
        warnings.warn(f"drum kit {kit.folder}: sample {name} is missing or unreadable; "
                      "its key plays the designed drum", RenderWarning, stacklevel=2)  # fmt: skip
    return kit


@functools.lru_cache(maxsize=4)
def _load_kit_cached(folder: str, sample_rate: int, _stamp: int) -> SampleKit:
    root = Path(folder)
    file = str(root / "kit.toml")
    try:
        text = (root / "kit.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"cannot read the kit: {exc}", file=file) from None
    hits = data.get("hit")
    if not isinstance(hits, list) or not hits:
        raise PresetError("the kit lists no [[hit]]", file=file)
    h = hashlib.sha256(f"{KIT_FORMAT}|{sample_rate}|".encode() + text.encode())
    rows, blobs, missing, bad_keys = [], [], [], set()
    for i, raw in enumerate(hits):
        e = Entry(file, f"hit {i + 1}", raw)
        key = int(e.number("key", 0, 127, integer=True))
        vel = int(e.number("velocity", 1, 127, integer=True))
        var = int(e.number("variant", 0, 99, integer=True))
        name = e.text("file")
        e.done()
        try:
            blob = (root / name).read_bytes()
        except OSError:
            missing.append(name)
            bad_keys.add(key)
            continue
        h.update(hashlib.sha256(blob).digest())
        rows.append((key, vel, var, name))
        blobs.append(blob)
    fingerprint = h.hexdigest()
    # decoded (and resampled) once per kit and rate, then read back from one array
    packed = _cache_root() / "packed" / f"{fingerprint[:32]}"
    audio = _read_packed(packed, len(rows))
    if audio is None:
        audio = [_decode(blob, sample_rate) for blob in blobs]
        for (key, _vel, _var, name), x in zip(rows, audio):
            if x is None:
                missing.append(name)
                bad_keys.add(key)
        if not missing:
            _write_packed(packed, audio)
    takes: dict[int, dict[int, dict[int, np.ndarray]]] = {}
    for (key, vel, var, _name), x in zip(rows, audio):
        if key not in bad_keys:
            takes.setdefault(key, {}).setdefault(vel, {})[var] = x
    samples = {k: {v: tuple(t[r] for r in sorted(t)) for v, t in sorted(layers.items())} for k, layers in sorted(takes.items())}
    fingerprint = hashlib.sha256(f"{fingerprint}|{sorted(bad_keys)}".encode()).hexdigest()
    return SampleKit(root, sample_rate, samples, fingerprint, tuple(missing), str(data.get("source", "")))


def _decode(blob: bytes, sample_rate: int) -> np.ndarray | None:
    """A sample file's bytes as float32 mono at ``sample_rate``; None when libsndfile cannot read it."""
    import io

    import soundfile as sf

    try:
        x, sr = sf.read(io.BytesIO(blob), dtype="float32", always_2d=True)
    except Exception:  # libsndfile's own errors
        return None
    mono = x.mean(axis=1).astype(np.float32)
    if sr != sample_rate:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sr), int(sample_rate))
        mono = resample_poly(mono, sample_rate // g, int(sr) // g).astype(np.float32)
    return mono


def _read_packed(stem: Path, n: int) -> list[np.ndarray] | None:
    try:
        lengths = np.load(stem.with_suffix(".len.npy"), allow_pickle=False)
        flat = np.load(stem.with_suffix(".npy"), allow_pickle=False)
    except (OSError, ValueError):
        return None
    if lengths.shape != (n,) or int(lengths.sum()) != flat.size:
        return None
    return np.split(flat, np.cumsum(lengths)[:-1])


def _write_packed(stem: Path, audio: list[np.ndarray]) -> None:
    from partita._fileio import atomic_path

    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        for suffix, arr in ((".npy", np.concatenate(audio) if audio else np.zeros(0, np.float32)),
                            (".len.npy", np.array([a.size for a in audio], np.int64))):  # fmt: skip
            with atomic_path(stem.with_suffix(suffix)) as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, arr, allow_pickle=False)
    except OSError:  # a read-only cache: decode again next time
        pass


def default_soundfont() -> Path | None:
    """The first of :data:`SOUNDFONTS` on this machine (or ``$PARTITA_DRUM_SOUNDFONT``), else None."""
    env = os.environ.get("PARTITA_DRUM_SOUNDFONT")
    for cand in ([env] if env else []) + list(SOUNDFONTS):
        if cand and Path(cand).is_file():
            return Path(cand).resolve()
    return None


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "partita" / "drum-kits"


def _remembered(what: str, path: str, compute: Any) -> str:
    """``compute()`` for the file at ``path``, remembered in the cache folder's ``stamps.json``
    by (what, path, size, modification time): a soundfont is hashed, and fluidsynth asked its
    version, once per change of the file rather than once per process."""
    st = os.stat(path)
    stamp = f"{what}|{path}|{st.st_size}|{st.st_mtime_ns}"
    if stamp in _STAMPS:
        return _STAMPS[stamp]
    book = _cache_root() / "stamps.json"
    try:
        known = json.loads(book.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict) or not isinstance(known.get(stamp), str):
        known = known if isinstance(known, dict) else {}
        known[stamp] = compute()
        try:
            from partita._fileio import atomic_write_text

            book.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(book, json.dumps(known, indent=1, sort_keys=True))
        except OSError:  # a read-only cache: compute again next time
            pass
    _STAMPS[stamp] = known[stamp]
    return known[stamp]


_STAMPS: dict[str, str] = {}


def _file_sha256(path: str) -> str:
    def digest() -> str:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    return _remembered("sha256", path, digest)


def _fluidsynth_version() -> str:
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise ExternalToolError("the fluidsynth program is not installed (Debian: apt-get install fluidsynth)")

    def ask() -> str:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
        return out.splitlines()[0].strip() if out else "unknown"

    return _remembered("fluidsynth --version", str(Path(exe).resolve()), ask)


def kit_key(soundfont: str | os.PathLike[str], *, sample_rate: int, keys: Sequence[int] | None = None) -> str:
    """The cache key of the kit :func:`build_kit` makes from ``soundfont`` (sha256 hex)."""
    sf = Path(soundfont).resolve()
    what = [KIT_FORMAT, _file_sha256(str(sf)), _fluidsynth_version(),
            layout().text, int(sample_rate), sorted(keys) if keys is not None else None]  # fmt: skip
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def default_kit(
    *, soundfont: str | os.PathLike[str] | None = None, cache_dir: str | os.PathLike[str] | None = None,
    keys: Sequence[int] | None = None,
) -> Path:  # fmt: skip
    """The kit folder made from ``soundfont`` (default :func:`default_soundfont`) at
    :data:`KIT_RATE` (a render at another rate resamples it as it loads), built on first use
    into ``cache_dir`` (default ``$XDG_CACHE_HOME/partita/drum-kits``). ``keys`` limits the kit
    to those GM keys.

    Raises :class:`~partita.errors.ExternalToolError` when no soundfont or no fluidsynth is found.
    """
    sf = Path(soundfont) if soundfont is not None else default_soundfont()
    if sf is None or not sf.is_file():
        raise ExternalToolError(f"no soundfont for the drum samples (looked for {sf or ', '.join(SOUNDFONTS)})")
    root = Path(cache_dir) if cache_dir is not None else _cache_root()
    folder = root / kit_key(sf, sample_rate=KIT_RATE, keys=keys)[:24]
    if not (folder / "kit.toml").is_file():
        build_kit(sf, folder, sample_rate=KIT_RATE, keys=keys)
    return folder


def build_kit(
    soundfont: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, sample_rate: int = 48000,
    keys: Sequence[int] | None = None,
) -> Path:  # fmt: skip
    """Render the one-shots of ``soundfont``'s standard kit (bank 128, program 0) into the kit
    folder ``out_dir`` (written whole into a temporary folder, then renamed into place).

    Parameters
    ----------
    soundfont
        An .sf2 or .sf3 file with a GM drum kit.
    out_dir
        The kit folder to make; an existing complete one is left as it is.
    sample_rate
        Hz of the samples.
    keys
        GM keys to render (default: every key of ``drum_sampler.toml`` [piece]).

    Returns
    -------
    Path
        ``out_dir``.
    """
    import soundfile as sf

    lay = layout()
    out = Path(out_dir)
    if (out / "kit.toml").is_file():
        return out
    key_list = sorted(lay.group) if keys is None else sorted(int(k) for k in keys)
    version = _fluidsynth_version()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".kit-", dir=out.parent))
    try:
        lines = [
            f"# drum one-shots rendered by partita.render.drum_samples.build_kit ({KIT_FORMAT})",
            f"# from {Path(soundfont).name} with {version}",
            f"sample_rate = {int(sample_rate)}", f"source = {json.dumps(Path(soundfont).name)}", "",
        ]  # fmt: skip
        channel = 9  # the GM drum channel (bank 128); a soundfont holding one kit as a plain preset: channel 1
        n_hits = 0
        for chunk in [key_list[i : i + 6] for i in range(0, len(key_list), 6)]:
            shots = _render_keys(soundfont, chunk, lay, sample_rate, stage, channel)
            if not shots and n_hits == 0 and channel == 9:
                channel = 0
                shots = _render_keys(soundfont, chunk, lay, sample_rate, stage, channel)
            n_hits += len(shots)
            for key, vel, var, x in shots:
                name = f"k{key:03d}_v{vel:03d}_r{var}.flac"
                sf.write(str(stage / name), x, sample_rate, subtype="PCM_24", format="FLAC")
                lines += ["[[hit]]", f"key = {key}", f"velocity = {vel}", f"variant = {var}", f'file = "{name}"', ""]
        if n_hits == 0:
            raise ExternalToolError(f"no drum sound in this soundfont: neither its drum kit (bank 128) nor its "
                                    f"first preset plays any of the keys {key_list[0]}-{key_list[-1]}",
                                    file=str(soundfont))  # fmt: skip
        (stage / "kit.toml").write_text("\n".join(lines), encoding="utf-8")
        try:
            os.replace(stage, out)
        except OSError:  # another process built it first
            if not (out / "kit.toml").is_file():
                raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


def _render_keys(soundfont: Any, keys: list[int], lay: SamplerLayout, sample_rate: int, tmp: Path,
                 channel: int) -> list[tuple[int, int, int, np.ndarray]]:  # fmt: skip
    """(key, layer velocity, take, float32 mono one-shot) for ``keys``, from one fluidsynth run
    on MIDI ``channel`` (0-based); keys without sound are left out."""
    import mido
    import soundfile as sf

    tpb, us_per_beat = 1000, 1_000_000  # 1 tick = 1 ms
    mid = mido.MidiFile(ticks_per_beat=tpb)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=us_per_beat, time=0))
    tr.append(mido.Message("program_change", channel=channel, program=0, time=0))
    slots = []  # (key, vel, var, start_s, slot_s)
    t_ms = 100
    last = 0
    for key in keys:
        slot = lay.slot_s.get(key, 2.0)
        for vel in lay.velocities:
            for var, (dv, cents) in enumerate(lay.variants):
                bend = int(round(cents / 200.0 * 8192))  # default bend range: +-2 semitones
                tr.append(mido.Message("pitchwheel", channel=channel, pitch=max(-8192, min(8191, bend)), time=t_ms - last - 10))
                tr.append(mido.Message("note_on", channel=channel, note=key, velocity=max(1, min(127, vel + dv)), time=10))
                tr.append(mido.Message("note_off", channel=channel, note=key, velocity=0, time=100))
                # all sound off at the slot's end: nothing rings into the next one-shot
                tr.append(mido.Message("control_change", channel=channel, control=120, value=0, time=int(slot * 1000) - 100))
                slots.append((key, vel, var, t_ms / 1000.0, slot))
                last = t_ms + int(slot * 1000)
                t_ms = last + 100
    tr.append(mido.MetaMessage("end_of_track", time=200))
    audio = _fluidsynth(soundfont, mid, tmp / f"k{keys[0]}", sample_rate)
    sr = sample_rate
    mono = audio.mean(axis=1)
    shots = []
    for key, vel, var, start_s, slot in slots:
        lo = int(round(start_s * sr))
        seg = mono[lo : lo + int(slot * sr)]
        x = _one_shot(seg, floor_db=lay.floor_db, sample_rate=sr)
        if x is None:
            continue  # the soundfont has no sound on this key
        shots.append((key, vel, var, _brightness(x, vel, bright_hz=lay.bright_hz, sample_rate=sr)))
    return shots


def _fluidsynth(soundfont: Any, mid: Any, stem: Path, sample_rate: int) -> np.ndarray:
    """``mid`` (a mido MidiFile) played by the fluidsynth program through ``soundfont``, reverb
    and chorus off, gain 0.5: float32 (n_samples, 2). Works in ``stem``.mid/.wav, then removes them."""
    import soundfile as sf

    _fluidsynth_version()  # says so when the program is missing
    midi_path, wav_path = stem.with_suffix(".mid"), stem.with_suffix(".wav")
    mid.save(str(midi_path))
    cmd = ["fluidsynth", "-ni", "-q", "-F", str(wav_path), "-r", str(int(sample_rate)), "-O", "float", "-g", "0.5",
           "-o", "synth.reverb.active=0", "-o", "synth.chorus.active=0", str(soundfont), str(midi_path)]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wav_path.is_file():
            raise ExternalToolError(f"fluidsynth failed ({done.returncode}): {(done.stderr or '').strip()[:300]}",
                                    file=str(soundfont))  # fmt: skip
        audio, _ = sf.read(str(wav_path), dtype="float32", always_2d=True)
    finally:
        midi_path.unlink(missing_ok=True)
        wav_path.unlink(missing_ok=True)
    return audio


def fluidsynth_drums(part: Any, score: Any, soundfont: str | os.PathLike[str], *, sample_rate: int,
                     n_samples: int) -> np.ndarray:  # fmt: skip
    """A percussion part as the fluidsynth program plays it through ``soundfont``'s drum kit (the
    reference the sampler is compared with): the same hits, times and velocities
    (:func:`~partita.render.drums.scored_hits`, no humanisation) on MIDI channel 10, notes
    100 ms long, reverb and chorus off. Float32 mono (n_samples,), the mean of fluidsynth's two
    channels, cut or padded to ``n_samples``.
    """
    import mido

    from partita.render.drums import scored_hits

    mid = mido.MidiFile(ticks_per_beat=1000)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=1_000_000, time=0))  # 1 tick = 1 ms
    events = []
    for note, on_s, v in scored_hits(part, score):
        t = int(round(on_s * 1000))
        events += [(t, 1, note.pitch, int(round(v))), (t + 100, 0, note.pitch, 0)]
    now = 0
    for t, on, key, v in sorted(events):
        tr.append(mido.Message("note_on" if on else "note_off", channel=9, note=key, velocity=v, time=t - now))
        now = t
    with tempfile.TemporaryDirectory() as tmp:
        x = _fluidsynth(soundfont, mid, Path(tmp) / "part", sample_rate)
    out = np.zeros(n_samples, np.float32)
    m = min(n_samples, x.shape[0])
    out[:m] = x[:m].mean(axis=1)
    return out


def _one_shot(seg: np.ndarray, *, floor_db: float, sample_rate: int) -> np.ndarray | None:
    """The hit in ``seg``: from 8 samples before its first sample above -40 dB re its peak
    (the attack: what is quieter before it is the synth's ramp, not the stroke) to its last
    sample above ``floor_db``, with a 5 ms fade at the end; None when ``seg`` is silent."""
    mag = np.abs(seg)
    peak = float(mag.max()) if seg.size else 0.0
    if peak < 1e-5:
        return None
    above = np.nonzero(mag > peak * 10.0 ** (floor_db / 20.0))[0]
    lo, hi = max(0, int(np.argmax(mag > peak * 0.01)) - 8), int(above[-1]) + 1
    x = seg[lo:hi].astype(np.float32).copy()
    fade = min(x.size, int(0.005 * sample_rate))
    x[x.size - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return x


def _brightness(x: np.ndarray, velocity: int, *, bright_hz: float, sample_rate: int) -> np.ndarray:
    """SF2.01 velocity-to-cutoff: a 2nd-order low-pass at ``bright_hz * 2^(-2 (127 - v) / 127)``
    (none at velocity 127, where the modulator leaves the cutoff where the soundfont set it)."""
    from scipy.signal import butter, sosfilt

    fc = bright_hz * 2.0 ** (-2.0 * (127 - int(velocity)) / 127.0)
    if velocity >= 127 or fc >= 0.45 * sample_rate:  # the top layer: the soundfont's sample as it is
        return x
    sos = butter(2, fc / (sample_rate / 2.0), btype="lowpass", output="sos")
    return sosfilt(sos, x).astype(np.float32)
