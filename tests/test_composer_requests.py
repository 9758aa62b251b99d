"""Contradictory requests (issue 6, Bad input) give a clear error or a stated relaxation:
chords against the key, a guide melody the ensemble cannot play, unknown ensembles."""

from __future__ import annotations

import pytest

from partita.cli import main
from partita.symbolic import io as sio
from partita.symbolic.score import Note, Part, Score

TINY_CKPT = "tests/data/composer_tiny.safetensors"


def _melody(pitches: list[int]) -> Score:
    return Score(parts=(Part("m", "Melody", "violin", tuple(Note(i, 1, p) for i, p in enumerate(pitches))),))


def test_chords_with_no_tone_in_the_key_are_an_error_naming_chord_and_bar(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["compose", "chorale", "--ensemble", "satb choir", "--key", "C major", "--seconds", "8",
               "--chords", "C F#", "--weights", TINY_CKPT, "--score-only", "--key-mask", "on", "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "partita: error: chord 'F#' in bar 2 has no tone in the key" in err
    assert not (out / "score.musicxml").exists()
    # a chorale leaves the key to the model by default (decoding.toml): the chord is then writable
    rc = main(["compose", "chorale", "--ensemble", "satb choir", "--key", "C major", "--seconds", "8",
               "--chords", "C F#", "--weights", TINY_CKPT, "--score-only", "-o", str(out)])  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert (out / "score.musicxml").exists()


def test_chords_partly_outside_the_key_are_stated(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["compose", "chorale", "--ensemble", "satb choir", "--key", "C major", "--seconds", "8",
               "--chords", "C D G7 C", "--weights", TINY_CKPT, "--score-only", "--key-mask", "on", "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "chord D has F# outside C major: only its tones in the key are written" in err
    assert "chord G7" not in err and "chord C " not in err
    assert "chord relaxations" in err
    got = sio.read(out / "score.musicxml")
    assert not any(n.pitch % 12 == 6 for p in got.parts for n in p.notes)  # no F# was written
    # a chorale leaves the key to the model by default (decoding.toml): the message says so
    rc = main(["compose", "chorale", "--ensemble", "satb choir", "--key", "C major", "--seconds", "8",
               "--chords", "C D G7 C", "--weights", TINY_CKPT, "--score-only", "-o", str(tmp_path / "free")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "chord D has F# outside C major: written as given (the key is left to the model here" in err
    assert "only its tones in the key" not in err


@pytest.mark.parametrize("pitches, ensemble, instrument, hint", [
    ([86, 88, 89, 88, 86, 84, 86, 88], "satb choir", "soprano", "transpose it 1 octave(s) down"),
    ([40, 41, 43, 41, 40, 38, 40, 41], "string quartet", "violin", "transpose it 2 octave(s) up"),
    ([40, 60, 84, 100, 60, 40, 60, 84], "string quartet", "violin", "choose another ensemble"),
])  # fmt: skip
def test_a_guide_melody_the_ensemble_cannot_play_is_an_error(tmp_path, capsys, pitches, ensemble, instrument, hint):
    src = tmp_path / "guide.mid"
    sio.write(_melody(pitches), src)
    rc = main(["compose", "x", "--ensemble", ensemble, "--guide", str(src), "--weights", TINY_CKPT, "--score-only",
               "-o", str(tmp_path / "out")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "partita: error:" in err and "range" in err and "in bars 1" in err and hint in err
    assert instrument in err.lower()
    rc = main(["harmonize", str(src), "--ensemble", ensemble, "--weights", TINY_CKPT, "-o", str(tmp_path / "h.musicxml")])
    assert rc == 2 and hint in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["compose", "x", "--ensemble", "kazoo band", "--score-only", "-o", "OUT"],
    ["plan", "x", "--ensemble", "kazoo band"],
])  # fmt: skip
def test_unknown_ensembles_list_the_known_ones(tmp_path, capsys, argv):
    from partita.symbolic.composer.vocab import ensembles

    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown ensemble 'kazoo band'; known: " in err
    assert all(name in err for name in ensembles())
