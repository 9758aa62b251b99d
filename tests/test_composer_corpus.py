"""The corpus builder: allowed collections only (never the Essen folk songs), split by piece,
cache, tokens and the data card."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from partita.errors import ConfigError
from partita.symbolic.composer import corpus
from partita.symbolic.composer.controls import ComposerVocab
from partita.symbolic.score import Note, Part, Score


def test_essen_folk_songs_are_refused_everywhere():
    assert "essenFolksong" in corpus.EXCLUDED
    for name in ("essenFolksong", "essen", "EssenFolksong"):
        with pytest.raises(ConfigError, match="excluded"):
            corpus.sources([name])
    with pytest.raises(ConfigError, match="excluded"):
        corpus.spec_sources("music21:bach,essenFolksong")
    # no allowed collection points at the Essen corpus, and "all" holds none of its files
    assert all("essen" not in e["music21"].lower() for e in corpus.collections().values())
    assert not [s for s in corpus.sources(["all"], max_files=3) if "essen" in s.path.lower()]


def test_required_collections_are_listed():
    names = {e["music21"] for e in corpus.collections().values()}
    assert {"bach", "palestrina", "monteverdi", "josquin", "trecento", "haydn", "mozart",
            "beethoven", "ryansMammoth", "oneills1850"} <= names  # fmt: skip
    for e in corpus.collections().values():
        assert e["licence"]


def test_unknown_collection_lists_known_ones():
    with pytest.raises(ConfigError, match="known: bach"):
        corpus.sources(["schoenbergg"])


def test_held_out_split_is_by_piece_and_stable():
    pieces = [f"bach/bwv{i}.mxl" for i in range(400)]
    held = [p for p in pieces if corpus.held_out(p)]
    assert 20 <= len(held) <= 60
    assert held == [p for p in pieces if corpus.held_out(p)]
    # an opus's tunes are separate pieces; a transposition is not a piece (augmented on the fly)


def test_user_folder_without_music_says_what_it_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "cover.png").write_bytes(b"\x89PNG")
    with pytest.raises(ConfigError) as err:
        corpus.spec_sources(str(tmp_path))
    assert "found 2 file(s)" in str(err.value) and ".txt" in str(err.value)
    with pytest.raises(ConfigError):
        corpus.spec_sources(str(tmp_path / "missing"))


def test_user_folder_parses_tokenizes_and_makes_a_card(tmp_path):
    from partita.symbolic.io import midi

    src = tmp_path / "mine"
    src.mkdir()
    for i in range(3):
        notes = tuple(Note(j, 1, 60 + (i + j) % 12) for j in range(8))
        midi.write(Score(parts=(Part("p", "Piano", "piano", notes),)), src / f"t{i}.mid")
    srcs = corpus.spec_sources(str(src))
    assert [s.collection for s in srcs] == ["user"] * 3
    data = tmp_path / "data"
    corpus.parse_corpus(srcs, data_dir=data, progress=False)
    corpus.parse_corpus(srcs, data_dir=data, progress=False)  # resumable: nothing redone
    assert len(list((data / "scores" / "user").glob("*.json.gz"))) == 3
    stats = corpus.build_tokens(data, progress=False)
    assert stats["collections"]["user"]["pieces"] == 3
    train = corpus.TokenSet.load(data / "tokens" / "train.npz")
    held = corpus.TokenSet.load(data / "tokens" / "heldout.npz")
    assert len(train) + len(held) == 3 and not set(train.pieces) & set(held.pieces)
    cv = ComposerVocab.default()
    for ts in (train, held):
        for i in range(len(ts)):
            ids = ts.piece(i)
            assert ids[0] == cv.bos and ids[-1] == cv.eos
            assert cv.token_type(int(ids[ts.header[i]])) == "Bar"
    card = corpus.data_card(stats, command="test")
    assert "| user |" in card and "essenFolksong" in card


def test_a_bach_chorale_from_music21_round_trips_through_the_cache(tmp_path):
    src = [s for s in corpus.sources(["bach"], max_files=0) if s.piece.endswith("bwv10.7.mxl")]
    corpus.parse_corpus(src, data_dir=tmp_path, progress=False)
    (coll, piece, d), = list(corpus.cached_scores(tmp_path))
    assert (coll, piece) == ("bach", "bach/bwv10.7.mxl")
    from music21 import corpus as m21

    ref = m21.parse("bwv10.7")
    n_ref = sum(1 for n in ref.recurse().notes for _ in n.pitches if not n.tie or n.tie.type == "start")
    score = Score.from_dict(d)
    assert sum(len(p.notes) for p in score.parts) >= n_ref * 0.95
    ids, header, moved = corpus.tokenize_piece(d)
    assert header == 3 + len(score.parts) and moved == 0


def test_cached_only_uses_what_is_parsed(tmp_path):
    from partita.symbolic.composer.training import prepare_corpus
    from partita.symbolic.io import midi

    src = tmp_path / "mine"
    src.mkdir()
    for i in range(4):
        notes = tuple(Note(j, 1, 62 + (i * j) % 7) for j in range(8))
        midi.write(Score(parts=(Part("p", "Flute", "flute", notes),)), src / f"t{i}.mid")
    data = tmp_path / "data"
    corpus.parse_corpus(corpus.spec_sources(str(src))[:2], data_dir=data, progress=False)
    train, held, info = prepare_corpus(str(src), data_dir=str(data), max_files=None, workers=1, progress=False, cached_only=True)
    assert info["train_pieces"] + info["heldout_pieces"] == 2  # the two parsed of four
    assert len(list((data / "scores" / "user").glob("*.json.gz"))) == 2  # nothing more parsed


def test_parts_the_catalog_cannot_name_are_read_by_clef_and_range_not_lost():
    """Monteverdi's 'Canto' and 'Quinto' are no catalog instruments; the piece still counts, and
    the texted parts fall back to the nearest voice by clef and range (issue 18), not a refusal."""
    src = [s for s in corpus.sources(["monteverdi"]) if s.piece.endswith("madrigal.3.11.mxl")]
    (piece, d), = corpus.parse_source(src[0])
    from music21 import corpus as m21

    ref = m21.parse(src[0].path)
    assert len(d["parts"]) == len(ref.parts) == 5
    from partita.instruments import get

    assert all(get(p["instrument"]).family == "voice" for p in d["parts"][:2])  # sung madrigal lines


def test_piece_ids_keep_the_opus_folder_so_quartet_movements_do_not_collide():
    srcs = corpus.sources(["haydn", "mozart", "beethoven"], max_files=0)
    ids = [s.piece for s in srcs]
    assert len(ids) == len(set(ids)) == len({s.path for s in srcs})
    assert "beethoven/opus59no1/movement1.mxl" in ids and "beethoven/opus59no2/movement1.mxl" in ids
    # flat collections keep the bare file name (their cached parses stay valid)
    assert "bach/bwv10.7.mxl" in [s.piece for s in corpus.sources(["bach"], max_files=0)]


def test_tokenizing_in_worker_processes_gives_the_same_sets_and_skips(tmp_path):
    from partita.symbolic.io import midi

    src = tmp_path / "mine"
    src.mkdir()
    for i in range(5):
        notes = tuple(Note(j, 1, 62 + (i * j) % 7) for j in range(8 + i))
        midi.write(Score(parts=(Part("p", "Flute", "flute", notes),)), src / f"t{i}.mid")
    (src / "t9.mid").write_bytes(b"MThd not really")  # does not parse: reported, not fatal
    data = tmp_path / "data"
    corpus.parse_corpus(corpus.spec_sources(str(src)), data_dir=data, progress=False)
    one = corpus.build_tokens(data, tokens_dir=tmp_path / "one", progress=False)
    two = corpus.build_tokens(data, tokens_dir=tmp_path / "two", progress=False, workers=2)
    assert one == two and one["collections"]["user"]["pieces"] == 5
    for name in ("train.npz", "heldout.npz"):
        a, b = np.load(tmp_path / "one" / name), np.load(tmp_path / "two" / name)
        assert sorted(a.files) == sorted(b.files) and all(np.array_equal(a[k], b[k]) for k in a.files)
