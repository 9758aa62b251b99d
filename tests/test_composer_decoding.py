"""regenerate, harmonize and continue_ sample with the defaults of the score's style
(decoding.toml), unless told otherwise, and record what they used."""

from __future__ import annotations

import dataclasses
import json

import pytest

from partita.symbolic.composer.decoding import decoding_for, genre_of_score, resolve_for_score
from partita.symbolic.composer.edit import continue_, harmonize, regenerate


@pytest.fixture(scope="module")
def model(untrained_composer):
    return untrained_composer


@pytest.fixture(scope="module")
def chorale(untrained_chorale):
    assert json.loads(untrained_chorale.metadata["partita.plan"])["genre"] == "chorale"
    return untrained_chorale


@pytest.fixture(scope="module")
def anonymous(chorale):
    """The same chorale with no genre recorded anywhere."""
    return dataclasses.replace(chorale, metadata={k: v for k, v in chorale.metadata.items() if k != "partita.plan"})


def _used(score) -> dict:
    return json.loads(score.metadata["partita.decoding"])


def _notes(score):
    return [p.notes for p in score.parts]


def test_the_table_is_what_this_file_assumes():
    # the chorale row cools the melody; the default row is plain (decoding.toml)
    c, d = decoding_for("chorale"), decoding_for("default")
    assert (c.temperature, c.top_p, dict(c.role_temperature)) == (0.8, 0.9, {"melody": 0.6})
    assert (d.temperature, d.top_p, dict(d.role_temperature)) == (1.0, 0.95, {})


def test_regenerate_uses_the_chorale_defaults_of_a_composed_chorale(model, chorale):
    # the bass is not the melody: the chorale's defaults are exactly temperature 0.8, top-p 0.9
    by_default = regenerate(chorale, part="b", bars=(1, 8), seed=1, model=model)
    assert _notes(by_default) == _notes(regenerate(chorale, part="b", bars=(1, 8), seed=1, model=model,
                                                   temperature=0.8, top_p=0.9))  # fmt: skip
    assert _notes(by_default) != _notes(regenerate(chorale, part="b", bars=(1, 8), seed=1, model=model,
                                                   temperature=1.0, top_p=0.95))  # fmt: skip
    used = _used(by_default)
    assert (used["temperature"], used["top_p"], used["role_temperature"]) == (0.8, 0.9, {})
    assert (used["genre"], used["genre_source"], used["given"]) == ("chorale", "metadata partita.plan", [])


def test_regenerating_the_melody_samples_its_pitches_cooler(model, chorale):
    import copy

    import torch

    # the untrained model is nearly uniform, so 0.6 and 0.8 pick the same pitch from the same
    # draw; its logits made 20 times sharper let the temperature show
    sharp = copy.deepcopy(model)
    with torch.no_grad():
        sharp.ln_f.weight.mul_(20)
    cool = [regenerate(chorale, part="s", bars=(1, 11), seed=k, model=sharp) for k in range(2)]
    assert _used(cool[0])["role_temperature"] == {"melody": 0.6}
    # the melody temperature acts: the plain 0.8 / 0.9 row writes other notes with the same seeds
    plain = [regenerate(chorale, part="s", bars=(1, 11), seed=k, model=sharp, temperature=0.8, top_p=0.9)
             for k in range(2)]  # fmt: skip
    assert all(_notes(c) != _notes(p) for c, p in zip(cool, plain))
    assert _used(plain[0])["role_temperature"] == {} and _used(plain[0])["given"] == ["temperature", "top_p"]


def test_a_score_without_a_genre_falls_back_to_the_default_row(model, chorale, anonymous):
    assert genre_of_score(anonymous) == ("default", "none recorded")
    got = regenerate(anonymous, part="b", bars=(1, 8), seed=1, model=model)
    assert _notes(got) == _notes(regenerate(anonymous, part="b", bars=(1, 8), seed=1, model=model,
                                            temperature=1.0, top_p=0.95))  # fmt: skip
    used = _used(got)
    assert (used["temperature"], used["top_p"], used["genre"]) == (1.0, 0.95, "default")
    # explicit values win over the style
    given = regenerate(chorale, part="b", bars=(1, 8), seed=1, model=model, temperature=1.0, top_p=0.95)
    assert _notes(given) != _notes(regenerate(chorale, part="b", bars=(1, 8), seed=1, model=model))
    used = _used(given)
    assert (used["temperature"], used["top_p"], used["genre"], used["given"]) == (1.0, 0.95, "chorale",
                                                                                  ["temperature", "top_p"])


def test_the_genre_is_read_from_the_provenance_beside_the_file(model, anonymous, tmp_path):
    from partita.symbolic import io as sio

    path = tmp_path / "score.musicxml"
    sio.write(anonymous, path)
    assert genre_of_score(sio.read(path), path) == ("default", "none recorded")
    (tmp_path / "provenance.json").write_text(json.dumps({"record": {"plan": {"genre": "chorale"}}}))
    assert genre_of_score(sio.read(path), path) == ("chorale", "provenance.json")
    d, genre, where = resolve_for_score(sio.read(path), path=path)
    assert (d.temperature, d.top_p, genre, where) == (0.8, 0.9, "chorale", "provenance.json")
    longer = continue_(str(path), bars=1, seed=2, model=model)
    used = _used(longer)
    assert (used["genre"], used["genre_source"], used["temperature"]) == ("chorale", "provenance.json", 0.8)


def test_continue_and_harmonize_use_the_style(model, chorale):
    used = _used(continue_(chorale, bars=2, seed=1, model=model))
    assert (used["temperature"], used["top_p"], used["role_temperature"]) == (0.8, 0.9, {"melody": 0.6})
    melody = dataclasses.replace(chorale, parts=chorale.parts[:1],
                                 metadata={**chorale.metadata, "partita.plan": "{}", "partita.genre": "chorale"})  # fmt: skip
    out = harmonize(melody, ensemble="satb choir", seed=1, model=model)
    used = _used(out)
    # the melody is kept, not sampled: no melody temperature
    assert (used["temperature"], used["top_p"], used["role_temperature"]) == (0.8, 0.9, {})
    assert used["genre_source"] == "metadata partita.genre"
    assert _notes(out) == _notes(harmonize(melody, ensemble="satb choir", seed=1, model=model, temperature=0.8,
                                           top_p=0.9))  # fmt: skip


def test_cli_edits_say_what_they_sampled_with(tmp_path, chorale, capsys):
    from partita.cli import main
    from partita.symbolic import io as sio

    src = tmp_path / "in.musicxml"
    sio.write(chorale, src)
    out = tmp_path / "out.musicxml"
    rc = main(["continue", str(src), "--bars", "1", "--seed", "1", "--weights", "tests/data/composer_tiny.safetensors",
               "-o", str(out)])  # fmt: skip
    assert rc == 0
    assert "temperature 0.8 (melody pitches 0.6), top-p 0.9 (chorale defaults)" in capsys.readouterr().err
    assert _used(sio.read(out))["genre"] == "chorale"
    rc = main(["regenerate", str(src), "--part", "Bass", "--bars", "2-3", "--temperature", "0.7", "--weights",
               "tests/data/composer_tiny.safetensors", "-o", str(out)])  # fmt: skip
    assert rc == 0
    assert "temperature 0.7, top-p 0.9 (chorale defaults where not given)" in capsys.readouterr().err


def test_an_edit_of_a_score_from_elsewhere_takes_the_style_it_is_given(model, anonymous, tmp_path, capsys):
    """A score that records no style (a MuseScore file, a corpus work) is edited with the
    defaults and the calibrated prior of the style the caller names, exactly as a score that
    records it; an unknown style is refused, listing the known ones."""
    from partita.cli import main
    from partita.errors import ConfigError
    from partita.symbolic import io as sio

    recorded = dataclasses.replace(anonymous, metadata={**anonymous.metadata, "partita.genre": "chorale"})
    given = regenerate(anonymous, part="b", bars=(1, 8), seed=1, model=model, style="chorale")
    assert _notes(given) == _notes(regenerate(recorded, part="b", bars=(1, 8), seed=1, model=model))
    assert _notes(given) != _notes(regenerate(anonymous, part="b", bars=(1, 8), seed=1, model=model))
    used = _used(given)
    assert (used["genre"], used["genre_source"], used["temperature"]) == ("chorale", "given", 0.8)
    melody = dataclasses.replace(anonymous, parts=anonymous.parts[:1])
    assert _used(harmonize(melody, ensemble="satb_choir", seed=1, model=model, style="chorale"))["genre_source"] == "given"
    assert _used(continue_(anonymous, bars=1, seed=1, model=model, style="chorale"))["genre_source"] == "given"
    with pytest.raises(ConfigError, match="unknown style 'chorales'.*chorale"):
        regenerate(anonymous, part="b", bars=(1, 2), seed=1, model=model, style="chorales")
    # the command line: --style, said in the command's line
    src, out = tmp_path / "anonymous.musicxml", tmp_path / "new.musicxml"
    sio.write(anonymous, src)
    rc = main(["regenerate", str(src), "--part", "b", "--bars", "1-2", "--style", "chorale", "--weights",
               "tests/data/composer_tiny.safetensors", "-o", str(out)])  # fmt: skip
    assert rc == 0 and "(chorale defaults)" in capsys.readouterr().err
    assert _used(sio.read(out))["genre_source"] == "given"
