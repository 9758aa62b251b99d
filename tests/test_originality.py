"""The originality check: planted copies of a Bach chorale melody (exact and transposed) are
found with their source and bars; a copy in another rhythm, an unrelated melody, a scale run
and a cadence formula are not flagged; the shipped index covers the training corpus; the CLI
answers in one line; compose signs the section into provenance.json."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from partita.cli import main
from partita.symbolic.composer.originality import check_originality, corpus_index, index_of_scores
from partita.symbolic.score import Note, Part, Score

CHORALES = ("bach/bwv26.6.mxl", "bach/bwv253.mxl", "bach/bwv66.6.mxl", "bach/bwv102.7.mxl", "bach/bwv127.5.mxl",
            "bach/bwv145.5.mxl", "bach/bwv180.7.mxl", "bach/bwv244.3.mxl")  # fmt: skip


@pytest.fixture(scope="module")
def chorales():
    """Eight Bach chorales read through the corpus builder (music21 corpus on disk)."""
    from partita.symbolic.composer.corpus import Source, parse_source

    from pathlib import Path

    import music21

    out = []
    for piece in CHORALES:
        path = str(Path(music21.__file__).parent / "corpus" / piece)
        [(pid, d)] = parse_source(Source(piece, "bach", path))
        out.append((pid, Score.from_dict(d)))
    return out


@pytest.fixture(scope="module")
def small_index(chorales):
    return index_of_scores(chorales, info={"label": "eight chorales"})


def _random_melody(n: int, seed: int, *, start: Fraction = Fraction(0), base: int = 67) -> list[Note]:
    """A seeded random walk in quarters and halves: music nobody wrote."""
    rng = np.random.default_rng(seed)
    notes, t, p = [], start, base
    for _ in range(n):
        d = Fraction(int(rng.choice([1, 1, 1, 2])))
        p = int(np.clip(p + rng.choice([-4, -3, -2, -1, 1, 2, 3, 5]), 55, 79))
        notes.append(Note(t, d, p))
        t += d
    return notes


def _soprano_bars(score: Score, first: int, last: int) -> list[Note]:
    part = score.parts[0]
    return [n for n in part.notes if first <= score.bar_of(n.onset).bar <= last]


def _planted(source: Score, *, first: int, last: int, transpose: int = 0, seed: int = 5) -> tuple[Score, int]:
    """A flute melody: 8 bars of random walk, then bars ``first``..``last`` of the source's
    soprano (moved to bar 9, transposed), then 6 more random bars. Returns it and the
    number of copied notes."""
    pre = _random_melody(24, seed)
    t0 = pre[-1].end
    t0 = t0 + (4 - t0 % 4) % 4  # start the copy on a bar line
    copied = _soprano_bars(source, first, last)
    start = copied[0].onset
    copy = [Note(t0 + n.onset - start, n.duration, n.pitch + transpose) for n in copied]
    t1 = copy[-1].end
    post = _random_melody(18, seed + 1, start=t1 + (4 - t1 % 4) % 4)
    return Score(title="planted", parts=(Part("fl", "Flute", "flute", tuple(pre + copy + post)),)), len(copy)


@pytest.mark.parametrize("transpose", [0, 5, -3])
def test_a_planted_four_bar_chorale_phrase_is_found_exact_and_transposed(chorales, small_index, transpose):
    pid, src = chorales[2]
    score, n_copied = _planted(src, first=1, last=4, transpose=transpose)
    rep = check_originality(score, against=[small_index])
    assert rep.verdict == "flagged"
    m = rep.longest_melody
    assert m.source == pid and m.flagged and m.part == "Flute"
    # the whole copied phrase, and a note or two of context at most
    assert n_copied <= m.length <= n_copied + 2
    assert m.source_bars[0] in (0, 1) and m.bars[0] in (8, 9, 10)


def test_a_copy_in_another_rhythm_and_unrelated_music_are_clear(chorales, small_index):
    pid, src = chorales[2]
    copied = _soprano_bars(src, 1, 4)
    # the same pitches, every note a dotted quarter: the rhythm no longer matches
    other_rhythm = [Note(Fraction(3, 2) * i, Fraction(3, 2), n.pitch) for i, n in enumerate(copied)]
    for notes in (other_rhythm, _random_melody(60, 11), _random_melody(60, 12, base=60)):
        rep = check_originality(Score(parts=(Part("fl", "Flute", "flute", tuple(notes)),)), against=[small_index])
        assert rep.verdict == "clear", rep.summary()


def test_a_chorale_itself_is_found_in_every_part(chorales, small_index):
    pid, src = chorales[4]
    rep = check_originality(src, against=[small_index])
    assert {m.part for m in rep.flagged if m.source == pid} >= {p.name for p in src.parts}
    assert any(m.kind == "harmony" and m.source == pid and m.flagged for m in rep.matches)


# --- the shipped index of the training corpus


def test_shipped_index_covers_the_chorales_and_reads_offline():
    from partita.symbolic.composer.originality import corpus_index_info

    idx = corpus_index()
    info = corpus_index_info()
    assert info["n_pieces"] == len(idx.pieces) and info["collections"]["bach"] >= 400
    assert sum(p.startswith("bach/") for p in idx.pieces) == info["collections"]["bach"]
    assert len(idx.melody.hash) == info["melody_windows"] and np.all(np.diff(idx.melody.hash.astype(np.int64)) >= 0)


def test_shipped_index_holds_every_piece_of_the_composer_data_card():
    """Per collection, the index holds as many pieces as the shipped composer's data card
    (docs/data_card_composer.md, written by the tokenizer when the weights were trained)."""
    import re
    from pathlib import Path

    from partita.symbolic.composer.originality import corpus_index_info

    card = (Path(__file__).resolve().parents[1] / "docs" / "data_card_composer.md").read_text()
    rows = re.findall(r"^\| (\w+) \| [^|]+ \| (\d+) \| \d+ \|", card, flags=re.M)
    expected = {name: int(n) for name, n in rows}
    assert {"bach", "palestrina", "beethoven", "oneills"} <= set(expected)
    info = corpus_index_info()
    assert info["collections"] == expected
    assert info["n_pieces"] == sum(expected.values())


def test_index_builder_keeps_only_pieces_the_tokenizer_takes(chorales, tmp_path):
    """``training_only``: a cached piece in a meter the composer has no token for (7/2) never
    reached training, so it is left out and listed; the other pieces are indexed."""
    import gzip

    from partita.symbolic.composer.ngrams import build_corpus_index
    from partita.symbolic.score import TimeSignature

    (pid, good), _ = chorales[0], chorales[1]
    odd = Score(title="odd meter", parts=good.parts, time_signatures=(TimeSignature(Fraction(0), 7, 2),))
    folder = tmp_path / "scores" / "bach"
    folder.mkdir(parents=True)
    for name, score in ((pid, good), ("bach/odd", odd)):
        blob = {"source": name, "collection": "bach", "pieces": [[name, score.to_dict()]], "error": ""}
        (folder / f"{name.replace('/', '_')}.json.gz").write_bytes(gzip.compress(json.dumps(blob).encode()))
    every = build_corpus_index(tmp_path, tmp_path / "all.npz", progress=False)
    assert sorted(every.pieces) == sorted([pid, "bach/odd"]) and "not_in_training" not in every.info
    trained = build_corpus_index(tmp_path, tmp_path / "trained.npz", progress=False, training_only=True)
    assert trained.pieces == (pid,) and trained.info["collections"] == {"bach": 1}
    [why] = trained.info["not_in_training"]
    assert why.startswith("bach/odd: ") and "7/2" in why


def test_the_shipped_corpus_finds_a_planted_chorale_phrase_transposed(chorales):
    pid, src = chorales[0]
    score, n_copied = _planted(src, first=1, last=4, transpose=2)
    rep = check_originality(score)
    assert rep.verdict == "flagged" and rep.against == ("corpus",)
    m = rep.longest_melody
    assert m.source == pid and m.length >= n_copied


def test_a_scale_run_and_a_cadence_formula_are_not_flagged():
    """Commonplaces: a two-octave major scale up and down in eighths and in quarters, and the
    3-2-1 cadence under I-V-I in four parts, in a few keys: against the whole training corpus."""
    up = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81, 83, 84]
    scale = up + up[-2::-1]
    for step in (Fraction(1, 2), Fraction(1)):
        for shift in (0, 5):
            notes = tuple(Note(step * i, step, p + shift) for i, p in enumerate(scale))
            rep = check_originality(Score(parts=(Part("fl", "Flute", "flute", notes),)))
            assert rep.verdict == "clear", rep.summary()
    cad = {"s": [64, 62, 60], "a": [60, 59, 55], "t": [55, 55, 52], "b": [48, 43, 36]}
    parts = []
    for k, (pid, inst) in enumerate((("s", "soprano"), ("a", "alto"), ("t", "tenor"), ("b", "bass"))):
        notes = [Note(4 * j + i, 1 if i < 2 else 2, p) for j in range(3) for i, p in enumerate(cad[pid])]
        parts.append(Part(pid, pid.upper(), inst, tuple(notes)))
    rep = check_originality(Score(parts=tuple(parts)))
    assert rep.verdict == "clear", rep.summary()


def test_no_pitched_notes_is_skipped_with_a_reason():
    drums = Score(parts=(Part("d", "Drums", "drum_kit", tuple(Note(i, 1, 36 + (i % 2) * 2) for i in range(16))),))
    rep = check_originality(drums, against=[index_of_scores([])])
    assert rep.verdict == "clear" and rep.skipped == ("no pitched notes: nothing to compare",)


def test_index_save_load_round_trip_and_format_refusal(small_index, tmp_path):
    from partita.errors import FormatError
    from partita.symbolic.composer.ngrams import NgramIndex

    small_index.save(tmp_path / "i.npz")
    back = NgramIndex.load(tmp_path / "i.npz")
    assert back.pieces == small_index.pieces and back.part_names == small_index.part_names
    for kind in ("melody", "harmony"):
        for name in ("hash", "piece", "part", "bar", "common"):
            assert np.array_equal(getattr(getattr(back, kind), name), getattr(getattr(small_index, kind), name))
    z = dict(np.load(tmp_path / "i.npz"))
    z["format"] = np.array(99)
    np.savez(tmp_path / "v99.npz", **z)
    with pytest.raises(FormatError, match="format 99; this partita reads format 1"):
        NgramIndex.load(tmp_path / "v99.npz")


# --- CLI


def test_cli_originality_against_a_folder_and_errors(chorales, tmp_path, capsys):
    from partita.symbolic import io as sio

    pid, src = chorales[1]
    folder = tmp_path / "mine"
    sio.write(src, folder / "hymn.musicxml")
    score, _ = _planted(src, first=1, last=4, transpose=3)
    sio.write(score, tmp_path / "new.mid")
    rc = main(["originality", str(tmp_path / "new.mid"), "--against", str(folder)])
    out = capsys.readouterr().out
    assert rc == 1 and "FLAGGED" in out and "hymn.musicxml" in out
    (tmp_path / "empty").mkdir()
    rc = main(["originality", str(tmp_path / "new.mid"), "--against", str(tmp_path / "empty")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "empty" in err[0] and "no score files" in err[0]
    rc = main(["originality", str(tmp_path / "missing.mid")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "missing.mid" in err[0]


# --- compose signs the section


def test_provenance_section_is_signed_and_checked_by_verify(untrained_chorale, tmp_path, capsys):
    from partita.provenance import read_provenance, write_provenance
    from partita.symbolic.composer.styles import provenance_section

    sec = provenance_section(untrained_chorale, genre="chorale")
    assert sec["verdict"] in ("clear", "flagged") and sec["against"] == ["corpus"]
    assert sec["similarity"]["reference"] == "bach-chorales" and 0.0 <= sec["similarity"]["score"] <= 1.0
    assert provenance_section(untrained_chorale, genre="pop")["similarity"]["reference"] is None
    out = tmp_path / "o"
    out.mkdir()
    (out / "score.json").write_text(json.dumps(untrained_chorale.to_dict()))
    write_provenance(out, {"originality": sec}, key_dir=tmp_path / "k")
    assert main(["verify", str(out), "--key-dir", str(tmp_path / "k")]) == 0
    assert f"originality (signed): {sec['verdict']}" in capsys.readouterr().out
    # changing the verdict breaks the signature
    data = read_provenance(out)
    data["record"]["originality"]["verdict"] = "clear" if sec["verdict"] == "flagged" else "flagged"
    (out / "provenance.json").write_text(json.dumps(data))
    assert main(["verify", str(out), "--key-dir", str(tmp_path / "k")]) == 2
    assert "signature does not match" in capsys.readouterr().err


def test_docs_quote_the_committed_results():
    """docs/originality.md quotes the figures of the results files it names."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "originality.md").read_text()
    orig = json.loads((root / "benchmarks" / "results" / "originality.json").read_text())
    assert orig["n_pieces"] == 50 and f"{orig['n_pieces']} pieces composed" in doc
    assert f"**{orig['n_flagged']} were flagged**" in doc
    flagged_parts = {str(p["longest_melody"]).split("'")[1] for p in orig["pieces"] if p["flagged"]}
    assert flagged_parts <= {"Acoustic Guitar"} and (not flagged_parts or "acoustic guitar part" in doc)
    assert f"| longest shared melody (notes) | {orig['longest_melody_notes']['median']:g} | {orig['longest_melody_notes']['p90']:g} | {orig['longest_melody_notes']['max']:g} |" in doc
    assert f"{orig['index']['file_bytes'] / 1e6:.2f} MB on disk" in doc
    cal = json.loads((root / "benchmarks" / "results" / "similarity_calibration.json").read_text())
    assert cal["draws"] == 1000
    for row in cal["conditions"]:
        if "mean" in row:
            assert f"| {row['mean']:.3f} | {row['sd']:.3f} |" in doc, row["condition"]


def test_docs_quote_the_trained_on_you_results():
    """docs/originality.md's walkthrough quotes benchmarks/results/trained_on_you.json: the
    similarity before and after the fine-tune, the paired change and the held-out loss."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "originality.md").read_text()
    res = json.loads((root / "benchmarks" / "results" / "trained_on_you.json").read_text())
    before, after = res["before"], res["after"]
    for x in (before, after):
        s = x["set_similarity"]
        assert f"| {s['folder']:.3f} | {s['unseen']:.3f} | {s['fiddle-tunes']:.3f} | {s['bach-chorales']:.3f} |" in doc
        assert f"| {x['n_flagged']} of {x['n']} |" in doc
    assert res["weights"]["before"]["sha256"] != res["weights"]["after"]["sha256"]
    assert f"**{res['paired']['folder']['mean_change']:+.3f}**" in doc
    assert f"**{res['heldout_loss']['before']:.3f}**" in doc and f"**{res['heldout_loss']['after']:.3f}**" in doc
