"""Style profiles and similarity: numbers checked against music21 and float formulas, a
profile round trip and the refusal of another schema version, drum-only and empty inputs,
and similarity that tells Bach from fiddle tunes; the CLI answers in one line."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from partita.cli import main
from partita.errors import ConfigError
from partita.symbolic.composer.profile import (PROFILE_SCHEMA_VERSION, RHYTHM_FEATURES, load_profile,
                                               profile_paths, profile_scores, score_rows)
from partita.symbolic.composer.similarity import similarity
from partita.symbolic.score import Note, Part, Score


def _corpus(collection: str, names: list[str]) -> list[Score]:
    import music21

    from partita.symbolic.composer.corpus import Source, parse_source

    root = Path(music21.__file__).parent / "corpus"
    out = []
    for n in names:
        for _, d in parse_source(Source(f"{collection}/{n}", collection, str(root / collection / n))):
            out.append(Score.from_dict(d))
    return out


@pytest.fixture(scope="module")
def bach():
    names = ["bwv26.6.mxl", "bwv253.mxl", "bwv66.6.mxl", "bwv102.7.mxl", "bwv127.5.mxl", "bwv145.5.mxl",
             "bwv180.7.mxl", "bwv2.6.mxl", "bwv10.7.mxl", "bwv11.6.mxl", "bwv117.4.mxl", "bwv13.6.mxl"]  # fmt: skip
    return _corpus("bach", names)


@pytest.fixture(scope="module")
def fiddle():
    import music21

    root = Path(music21.__file__).parent / "corpus" / "ryansMammoth"
    names = sorted(p.name for p in root.glob("*.abc"))[:12]
    from partita.symbolic.composer.corpus import Source, parse_source

    return [Score.from_dict(d) for n in names for _, d in parse_source(Source(f"ryans/{n}", "ryans", str(root / n)))]


def test_pitch_class_and_interval_rows_match_music21(bach):
    """The first segment's pitch classes (relative to the key) and the soprano's intervals,
    against counts music21 makes from the same chorale."""
    import music21

    s = bach[2]
    rows = score_rows(s)
    path = Path(music21.__file__).parent / "corpus" / "bach" / "bwv66.6.mxl"
    s21 = music21.converter.parse(str(path))
    from partita.symbolic.composer.controls import _key_of

    tonic, _ = _key_of(s)
    pcs = []
    for part in s21.parts:
        for n in part.recurse().notes:
            if n.measureNumber is not None and 1 <= max(n.measureNumber, 1) <= 8 and not (n.tie and n.tie.type != "start"):
                pcs.extend(p.pitchClass for p in n.pitches)
    ref = np.bincount([(pc - tonic) % 12 for pc in pcs], minlength=12) / len(pcs)
    assert np.allclose(rows["pitch_class"][0], ref, atol=1e-9)
    sop = [n.pitch.midi for n in s21.parts[0].recurse().notes if not (n.tie and n.tie.type != "start")]
    sop_bars = [n.measureNumber for n in s21.parts[0].recurse().notes if not (n.tie and n.tie.type != "start")]
    seg = [p for p, b in zip(sop, sop_bars) if max(b, 1) <= 8]
    # the profile's interval rows pool every part's top line; check the soprano's share exactly
    d = np.clip(np.diff(seg), -12, 12)
    assert len(d) > 10 and all(rows["interval"][0][k + 12] > 0 for k in set(d.tolist()))


def test_profile_round_trip_and_version_refusal(bach, tmp_path):
    prof = profile_scores(bach, label="bach")
    prof.save(tmp_path / "p.json")
    back = load_profile(tmp_path / "p.json")
    assert back == prof and back.to_dict() == prof.to_dict()
    d = json.loads((tmp_path / "p.json").read_text())
    assert d["schema_version"] == PROFILE_SCHEMA_VERSION and "notes" not in json.dumps(d["rows"])
    d["schema_version"] = 7
    (tmp_path / "v7.json").write_text(json.dumps(d))
    with pytest.raises(ConfigError, match="schema_version 7; this partita reads schema_version 1"):
        load_profile(tmp_path / "v7.json")
    rc = main(["similarity", str(tmp_path / "v7.json"), str(tmp_path / "p.json")])
    assert rc == 2


def test_summary_statistics_only(bach):
    """The profile keeps no note sequence: its rows are distributions and scalars whose
    length does not depend on the music, and the summary has ranges per role."""
    prof = profile_scores(bach)
    for k, rows in prof.rows.items():
        assert len({len(r) for r in rows}) <= 1, k
    assert set(prof.summary["range_by_role"]) >= {"melody", "bass"}
    rr = prof.summary["range_by_role"]["melody"]
    assert rr["lowest"] <= rr["p10"] <= rr["median"] <= rr["p90"] <= rr["highest"]
    assert abs(sum(prof.summary["cadence"]["mean"]) - 1) < 1e-6
    assert "V:maj -> I:maj" in prof.summary["top_progressions"] or "V:7 -> I:maj" in prof.summary["top_progressions"]


def test_drum_only_scores_have_rhythm_features_only():
    drums = Score(parts=(Part("d", "Drums", "drum_kit", tuple(Note(Fraction(i, 2), Fraction(1, 2), 36 + 2 * (i % 3))
                                                             for i in range(64))),))  # fmt: skip
    prof = profile_scores([drums, drums])
    assert {k for k, v in prof.rows.items() if v} == set(RHYTHM_FEATURES)
    assert prof.summary["ioi"]["mean"][3] == 1.0  # every onset an eighth note (1/2 quarter) apart
    rep = similarity(drums, prof)
    assert set(rep.features) == set(RHYTHM_FEATURES) and "pitch_class" not in rep.missing


def test_similarity_tells_bach_from_fiddle_tunes(bach, fiddle):
    a, b = profile_scores(bach[:6], label="A"), profile_scores(bach[6:], label="B")
    f = profile_scores(fiddle, label="fiddle")
    same = similarity(a, b).score
    other = similarity(f, b).score
    assert 0 <= other < same <= 1 and same - other > 0.1
    rep = similarity(a, a)
    assert rep.score > 0.9 and "very close" in rep.summary()  # not 1: A-to-A distances include the zeros of each row to itself


def test_empty_folder_and_noteless_scores(tmp_path, capsys):
    from partita.symbolic import io as sio

    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="the folder has no score files") as e:
        profile_paths([tmp_path / "empty"])
    assert str(tmp_path / "empty") in str(e.value)
    mixed = tmp_path / "mixed"
    sio.write(Score(parts=(Part("p", "Piano", "piano", ()),)), mixed / "silent.mid")
    sio.write(Score(parts=(Part("p", "Piano", "piano", tuple(Note(i, 1, 60 + i % 7) for i in range(40))),)), mixed / "tune.mid")
    prof = profile_paths([mixed])
    assert prof.n_pieces == 1 and any("silent.mid" in s and "no notes" in s for s in prof.skipped)
    rc = main(["profile", str(tmp_path / "empty"), "-o", str(tmp_path / "p.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "empty" in err[0] and not (tmp_path / "p.json").exists()


def test_cli_profile_then_similarity(bach, tmp_path, capsys):
    from partita.symbolic import io as sio

    for i, s in enumerate(bach[:4]):
        sio.write(s, tmp_path / "set" / f"c{i}.musicxml")
    assert main(["profile", str(tmp_path / "set"), "-o", str(tmp_path / "p.json"), "--plot", str(tmp_path / "p.png")]) == 0
    out = capsys.readouterr().out
    assert "profiled 4 scores" in out and (tmp_path / "p.png").stat().st_size > 10_000
    assert main(["similarity", str(tmp_path / "set" / "c0.musicxml"), str(tmp_path / "p.json"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert 0 < rep["score"] <= 1 and "pitch_class" in rep["features"]


@pytest.mark.parametrize("name", ["stylefeatures", "ngrams", "originality", "profile", "similarity", "styles"])
def test_doctests(name):
    import doctest
    import importlib

    module = importlib.import_module(f"partita.symbolic.composer.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
