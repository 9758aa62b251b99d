"""``train-instrument`` from several sources: both real soundfonts (FluidR3_GM and
MuseScore_General, rendered by fluidsynth), a soundfont beside a folder of recordings, two
folders; each source in the held-out split, every source with its licence in the card and the
header, a resume from other sources refused, a soundfont without the preset named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from partita.errors import ConfigError
from partita.render.dataset import HOP, SR
from partita.render.instrument_training import prepare_data
from partita.render.neural_infer import load_weights

FLUID = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
MUSESCORE = "/usr/share/sounds/sf3/MuseScore_General.sf3"
# the least data render_soundfont makes (one pitch, 3 velocities x 2 lengths) and a few seconds of training
TINY = ["--data-minutes", "0.05", "--f0", "yin", "--quiet", "--minutes", "0.05"]


def _tone(f0_hz: float, *, seconds: float, sample_rate: int) -> np.ndarray:
    """Harmonic tone (amplitudes 0.3 / k) with 50 ms fades."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    env = np.minimum(1.0, np.minimum(t / 0.05, (seconds - t) / 0.05)).clip(0, 1)
    return (env * sum(0.3 / k * np.sin(2 * np.pi * k * f0_hz * t) for k in range(1, 6))).astype(np.float32)


def _folder(path: Path, f0s: tuple[float, ...], *, seconds: float = 1.0, sample_rate: int = 22050) -> Path:
    path.mkdir()
    for i, f in enumerate(f0s):
        soundfile.write(path / f"take{i}.wav", _tone(f, seconds=seconds, sample_rate=sample_rate), sample_rate)
    return path


def _frames(seconds: float, sample_rate: int) -> int:
    """Frames (4 ms at 48 kHz) :func:`~partita.render.dataset.analyze` makes of a recording."""
    return int(np.ceil(int(seconds * sample_rate) * SR / sample_rate / HOP))


def _cached(work: Path) -> dict[str, np.ndarray]:
    z = np.load(work / "dataset.npz")
    return {k: z[k] for k in z.files}


def test_two_folders_each_keep_held_out_items(tmp_path) -> None:
    # five takes and three: analysed together, every fifth item would hold out only a take of
    # the first folder; per source, the second holds out its last fifth
    five = _folder(tmp_path / "five", (220.0, 247.0, 262.0, 294.0, 330.0))
    three = _folder(tmp_path / "three", (392.0, 440.0, 494.0), sample_rate=44100)
    data, desc, licence = prepare_data(source=[five, three], name="mine", f0_method="yin", work_dir=tmp_path / "w")
    assert np.bincount(data["source"]).tolist() == [5 * _frames(1.0, 22050), 3 * _frames(1.0, 44100)]
    for s in (0, 1):
        assert ((data["split"] == 1) & (data["source"] == s)).any() and ((data["split"] == 0) & (data["source"] == s)).any()
    assert len(np.unique(data["item"])) == 8  # no item number shared between the folders
    assert str(five) in desc and str(three) in desc and licence == "that of the recordings (the user's)"
    assert _cached(tmp_path / "w")["source_names"].tolist() == [str(five.resolve()), str(three.resolve())]


@pytest.mark.slow
def test_both_soundfonts_train_one_decoder_listed_with_their_licences(tmp_path, capsys) -> None:
    from partita.cli import main

    work, out = tmp_path / "work", tmp_path / "out"
    assert main(["train-instrument", FLUID, MUSESCORE, "--name", "violin", "--work", str(work), "--out", str(out), *TINY]) == 0
    data = _cached(work)
    assert data["source_names"].tolist() == [str(Path(FLUID).resolve()), str(Path(MUSESCORE).resolve())]
    fluid, muse = data["source"] == 0, data["source"] == 1
    held = [int((data["split"][sel] == 1).sum()) for sel in (fluid, muse)]
    assert min(held) > 0 and (data["split"][fluid] == 0).any() and (data["split"][muse] == 0).any()
    # the same notes drawn from each soundfont (same seed and share), sounding different
    a, b = (data["audio16"].reshape(-1, 64)[sel].ravel() for sel in (fluid, muse))
    assert a.size == b.size and np.sqrt(np.mean((a - b) ** 2)) > 0.1 * np.sqrt(np.mean(a**2))
    card = (out / "violin.md").read_text()
    for text in ("FluidR3_GM.sf2 (FluidR3_GM by Frank Wen) GM program 40", "Licence: MIT (FluidR3_GM).",
                 "MuseScore_General.sf3 (MuseScore_General by S. Christian Collins) GM program 40",
                 "Licence: MIT (MuseScore_General).", "Licence of the data: MIT (FluidR3_GM); MIT (MuseScore_General).",
                 f"of each source: FluidR3_GM.sf2 {held[0]:,}, MuseScore_General.sf3 {held[1]:,})",
                 "0.025 min of audio", f"train-instrument {FLUID} {MUSESCORE} --name violin"):  # fmt: skip
        assert text in card, text
    header = load_weights(out / "violin.safetensors").header["data"]
    assert [(r["path"], r["kind"], r["licence"]) for r in header["sources"]] == [
        (FLUID, "soundfont", "MIT (FluidR3_GM)"), (MUSESCORE, "soundfont", "MIT (MuseScore_General)")]  # fmt: skip
    assert header["licence"] == "MIT (FluidR3_GM); MIT (MuseScore_General)"

    # --resume with other sources is refused in one line naming the work folder's data
    capsys.readouterr()
    rc = main(["train-instrument", FLUID, "--name", "violin", "--work", str(work), "--out", str(out), *TINY, "--resume"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and f"error: {work / 'dataset.npz'}: --resume" in err
    assert "MuseScore_General" in err
    assert _cached(work)["source_names"].tolist() == data["source_names"].tolist()  # the data is left as it was
    # the same sources resume
    assert main(["train-instrument", FLUID, MUSESCORE, "--name", "violin", "--work", str(work), "--out", str(out),
                 *TINY, "--resume", "--minutes", "0.1"]) == 0  # fmt: skip
    assert load_weights(out / "violin.safetensors").header["training"]["steps"] > 0


@pytest.mark.slow
def test_a_soundfont_beside_a_folder_of_recordings(tmp_path) -> None:
    import partita

    takes = _folder(tmp_path / "takes", (294.0, 330.0, 392.0, 440.0, 494.0, 587.0), seconds=1.5, sample_rate=44100)
    res = partita.train_instrument([Path(FLUID), takes], "violin", data_minutes=0.05, minutes=0.05, f0_method="yin",
                                   work_dir=tmp_path / "work", out_dir=tmp_path / "out")  # fmt: skip
    data = _cached(tmp_path / "work")
    rec = data["source"] == 1
    assert int(rec.sum()) == 6 * _frames(1.5, 44100)  # every recording, whole
    assert ((data["split"] == 1) & rec).any() and ((data["split"] == 1) & ~rec).any()
    card = res.card.read_text()
    assert "Licence of the data: MIT (FluidR3_GM); that of the recordings (the user's)." in card
    assert f"The user's recordings in `{takes}`." in card and "0.05 min of audio" in card  # one soundfont: all the minutes
    kinds = [r["kind"] for r in load_weights(res.weights).header["data"]["sources"]]
    assert kinds == ["soundfont", "recordings"]


def test_a_soundfont_without_the_preset_is_named(tmp_path, capsys) -> None:
    from partita.cli import main

    # MuseScore_General has violin pizzicato as program 45 of bank 20; FluidR3_GM has no bank 20
    rc = main(["train-instrument", MUSESCORE, FLUID, "--name", "violin", "--program", "45", "--bank", "20",
               "--work", str(tmp_path / "w"), "--out", str(tmp_path / "o"), *TINY])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert f"error: {FLUID}: no preset for program 45 in bank 20" in err and MUSESCORE not in err
    assert not (tmp_path / "o").exists() and not (tmp_path / "w" / "dataset.npz").exists()


def test_one_source_given_twice_and_a_string_model_from_two_soundfonts_are_refused(tmp_path) -> None:
    from partita.render.instrument_training import train_instrument

    with pytest.raises(ConfigError, match="SOURCE given twice"):
        train_instrument([FLUID, str(Path(FLUID).parent / "." / Path(FLUID).name)], "violin", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="piano string model, which is fitted from one soundfont"):
        train_instrument([FLUID, MUSESCORE], "piano", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="no SOURCE given"):
        train_instrument([], "violin", out_dir=tmp_path)
    assert not any(tmp_path.iterdir())
