"""Signed provenance: verify passes on a fresh render, fails naming the file after any byte of a
stem, the mix, the score or provenance.json changes or the signature is swapped; --reproduce
re-renders bit-identically; bad input (not a render, no key, another key) is one line, exit 2."""

from __future__ import annotations

import json
import shutil
import stat
from fractions import Fraction

import pytest

from partita.cli import main
from partita.provenance import (
    ProvenanceError,
    canonical_json,
    load_or_create_key,
    read_provenance,
    sha256_file,
    verify,
)


def _score():
    from partita.symbolic.dynamics import Dynamic
    from partita.symbolic.score import Note, Part, Score
    from partita.symbolic.timeline import TempoMap, TempoMark

    fl = Part("fl", "Flute", "flute", notes=tuple(Note(Fraction(i, 2), Fraction(1, 2), 74 + i % 4) for i in range(8)),
              dynamics=(Dynamic(Fraction(0), "mf"),))  # fmt: skip
    dr = Part("dr", "Drums", "drum_kit", notes=tuple(Note(Fraction(i), Fraction(1, 2), 36 if i % 2 == 0 else 38) for i in range(4)))
    return Score(title="t", parts=(fl, dr), tempo_map=TempoMap((TempoMark(Fraction(0), 100.0), TempoMark(Fraction(2), 80.0))))


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A render folder made by the pipeline after the score (16 kHz, 1 s tail), and its key."""
    from partita.pipeline import master_folder
    from partita.render.settings import RenderSettings

    root = tmp_path_factory.mktemp("prov")
    keys = root / "keys"
    out = root / "out"
    record = {"prompt": "a test", "plan": None, "weights": []}
    master_folder(out, _score(), record=record, render_settings=RenderSettings(sample_rate=16000, tail_s=1.0, seed=5),
                  key_dir=keys, workers=1)  # fmt: skip
    return out, keys


@pytest.fixture
def folder(signed, tmp_path):
    out, keys = signed
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return copy, keys


def test_fresh_render_verifies(folder, capsys):
    out, keys = folder
    rep = verify(out, key_dir=keys)
    assert rep.ok and rep.n_files == 10
    rec = read_provenance(out)["record"]
    for name in ("mix.wav", "mix.c2pa.wav", "score.json", "score.musicxml", "score.mid", "project.rpp", "mix.json", "render.json"):
        assert rec["files"][name] == sha256_file(out / name)
    assert len([f for f in rec["files"] if f.startswith("stems/")]) == 2
    assert rec["score"]["canonical_hash"] == _score().canonical_hash()
    assert rec["seed"] == 5 and rec["prompt"] == "a test" and rec["software"]["partita"]
    assert rec["render"]["settings"]["sample_rate"] == 16000 and rec["mix"]["report"]["meets_target"]
    assert main(["verify", str(out), "--key-dir", str(keys)]) == 0
    assert "signature ok" in capsys.readouterr().out


def test_key_is_created_private(signed):
    _, keys = signed
    mode = stat.S_IMODE((keys / "ed25519.key").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_key(keys).public_key().public_bytes_raw() == load_or_create_key(keys).public_key().public_bytes_raw()


def test_key_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTITA_KEY_DIR", str(tmp_path / "envkeys"))
    load_or_create_key()
    assert (tmp_path / "envkeys" / "ed25519.key").exists()


@pytest.mark.parametrize("rel", ["stems/01_flute.wav", "stems/02_drums.wav", "mix.wav", "mix.c2pa.wav", "score.musicxml", "score.json",
                                 "score.mid", "project.rpp", "mix.json"])  # fmt: skip
def test_one_changed_byte_is_named(folder, rel, capsys):
    out, keys = folder
    path = out / rel
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    rep = verify(out, key_dir=keys)
    assert rep.changed == (rel,) and not rep.ok
    assert main(["verify", str(out), "--key-dir", str(keys)]) == 1
    err = capsys.readouterr().err
    assert f"{rel}: changed" in err and err.count("\n") == 1


def test_changed_provenance_json_fails_the_signature(folder, capsys):
    out, keys = folder
    data = json.loads((out / "provenance.json").read_text())
    data["record"]["seed"] = 6
    (out / "provenance.json").write_text(json.dumps(data))
    with pytest.raises(ProvenanceError, match="provenance.json.*signature does not match"):
        verify(out, key_dir=keys)
    # one byte anywhere in the file, keeping it valid JSON: change a hash digit
    data["record"]["seed"] = 5
    rel = "mix.wav"
    h = data["record"]["files"][rel]
    data["record"]["files"][rel] = ("0" if h[0] != "0" else "1") + h[1:]
    (out / "provenance.json").write_text(json.dumps(data))
    assert main(["verify", str(out), "--key-dir", str(keys)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "provenance.json" in err and "signature" in err


def test_swapped_signature_fails(folder, tmp_path):
    """A valid signature of another record, by the same key, does not pass."""
    from partita.provenance import sign_record

    out, keys = folder
    data = json.loads((out / "provenance.json").read_text())
    other = sign_record({**data["record"], "prompt": "something else"}, key_dir=keys)
    data["signature"] = other["signature"]
    (out / "provenance.json").write_text(json.dumps(data))
    with pytest.raises(ProvenanceError, match="signature does not match"):
        verify(out, key_dir=keys)


def test_another_key_is_refused_in_one_line(folder, tmp_path, capsys):
    out, _ = folder
    load_or_create_key(tmp_path / "mine")
    assert main(["verify", str(out), "--key-dir", str(tmp_path / "mine")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not the trusted key" in err


def test_missing_key_is_one_line(folder, tmp_path, capsys):
    out, _ = folder
    assert main(["verify", str(out), "--key-dir", str(tmp_path / "nokeys")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no signing key" in err


def test_public_key_file_is_enough(folder):
    out, keys = folder
    assert verify(out, public_key=keys / "ed25519.pub").ok


def test_not_a_render_is_one_line(tmp_path, capsys):
    assert main(["verify", str(tmp_path), "--key-dir", str(tmp_path)]) == 2
    assert "not a partita render" in capsys.readouterr().err
    (tmp_path / "provenance.json").write_text("{not json")
    assert main(["verify", str(tmp_path), "--key-dir", str(tmp_path)]) == 2
    assert "provenance.json" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nothing-here")]) == 2


def test_missing_and_added_stems_are_named(folder):
    out, keys = folder
    (out / "stems" / "01_flute.wav").unlink()
    shutil.copy(out / "stems" / "02_drums.wav", out / "stems" / "03_extra.wav")
    rep = verify(out, key_dir=keys)
    assert rep.missing == ("stems/01_flute.wav",) and rep.unrecorded == ("stems/03_extra.wav",)


def test_the_mix_carries_its_record_inside_its_hash(folder):
    from partita.render.wavfile import read_info_chunk

    out, _ = folder
    info = read_info_chunk((out / "mix.wav").read_bytes())
    assert info["ISFT"].startswith("partita") and _score().canonical_hash() in info["ICMT"] and "seed 5" in info["ICMT"]
    # stems stay exactly as the renderer wrote them: the hashes in render.json hold
    manifest = json.loads((out / "render.json").read_text())
    assert all(sha256_file(out / s["file"]) == s["sha256"] for s in manifest["stems"])


def test_reproduce_is_bit_identical(folder, capsys):
    out, keys = folder
    assert main(["verify", str(out), "--reproduce", "--key-dir", str(keys), "--jobs", "1"]) == 0
    assert "4 audio files bit-identical" in capsys.readouterr().out


def test_reproduce_notices_a_different_renderer_input(folder, capsys):
    """Re-signed with another seed on record: the re-render differs and the files are named."""
    from partita.provenance import sign_record

    out, keys = folder
    data = json.loads((out / "provenance.json").read_text())
    data["record"]["render"]["settings"]["seed"] = 6
    (out / "provenance.json").write_text(json.dumps(sign_record(data["record"], key_dir=keys)))
    assert main(["verify", str(out), "--reproduce", "--key-dir", str(keys), "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "stems/01_flute.wav: re-rendered audio differs" in err and "mix.wav: re-rendered audio differs" in err


def test_remix_leaves_stems_untouched_and_resigns(folder, capsys):
    out, keys = folder
    stems = {p.name: p.read_bytes() for p in (out / "stems").glob("*.wav")}
    old_mix = sha256_file(out / "mix.wav")
    assert main(["mix", str(out), "--target-lufs", "-18", "--key-dir", str(keys)]) == 0
    assert "-18" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (out / "stems").glob("*.wav")} == stems
    assert sha256_file(out / "mix.wav") != old_mix
    rec = read_provenance(out)["record"]
    assert rec["mix"]["settings"]["target_lufs"] == -18.0 and rec["prompt"] == "a test"
    assert verify(out, key_dir=keys).ok


def test_remix_refuses_a_tampered_folder(folder, capsys):
    out, keys = folder
    p = out / "stems" / "02_drums.wav"
    p.write_bytes(p.read_bytes()[:-4] + b"\x00\x00\x80\x3f")
    assert main(["mix", str(out), "--key-dir", str(keys)]) == 2
    err = capsys.readouterr().err
    assert "stems/02_drums.wav" in err and "not re-mixing" in err


def test_canonical_json_is_stable():
    assert canonical_json({"b": [1, 2], "a": {"y": 1, "x": 2}}) == b'{"a":{"x":2,"y":1},"b":[1,2]}'


def test_c2pa_copy_of_the_mix_is_valid_and_names_the_mix(folder):
    """The C2PA manifest (c2pa-python, offline, Ed25519 under a local CA) validates, binds the
    same audio as mix.wav, and carries the mix's sha256 and the score hash."""
    import numpy as np
    import soundfile as sf

    from partita.provenance import c2pa_read

    out, _ = folder
    got = c2pa_read(out / "mix.c2pa.wav")
    assert got["state"] == "Valid" and set(got["status"]) <= {"signingCredential.untrusted"}
    assert got["manifest"]["signature_info"]["alg"] == "Ed25519"
    mine = [a["data"] for a in got["manifest"]["assertions"] if a["label"] == "org.partita.provenance"][0]
    assert mine["mix_wav_sha256"] == sha256_file(out / "mix.wav") and mine["score_sha256"] == _score().canonical_hash()
    a, _ = sf.read(out / "mix.c2pa.wav", dtype="float32")
    b, _ = sf.read(out / "mix.wav", dtype="float32")
    assert np.array_equal(a, b)
    # one flipped audio byte breaks C2PA's hard binding
    data = bytearray((out / "mix.c2pa.wav").read_bytes())
    data[200] ^= 0x10
    (out / "bad.wav").write_bytes(bytes(data))
    assert c2pa_read(out / "bad.wav")["state"] != "Valid"
