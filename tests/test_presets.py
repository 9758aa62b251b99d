"""Preset tables are data: every TOML file loads, its header documents every field, and a broken
copy is refused with a PresetError naming the file, the entry and the field."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from partita.errors import ConfigError, PresetError
from partita.instruments import catalog
from partita.render import drum_samples, drums, performance, timbres
from partita.symbolic import dynamics
from partita.symbolic.arranger import voicing
from partita.symbolic.composer import chords, sample
from partita.theory_rules import engine

ROOT = Path(__file__).resolve().parents[1]

# (package, file, loader that takes a path)
FILES = [
    ("partita.render", "timbres.toml", timbres.load_timbres),
    ("partita.render", "performers.toml", performance.load_styles),
    ("partita.render", "drum_kit.toml", drums.load_kit),
    ("partita.render", "drum_sampler.toml", drum_samples.layout),
    ("partita.theory_rules", "profiles.toml", engine.load_profiles),
    ("partita.symbolic.composer", "grooves.toml", sample.load_grooves),
    ("partita.symbolic.composer", "decoding.toml", sample.load_decoding),
    ("partita.instruments", "gm_fallback.toml", catalog.load_program_fallback),
    ("partita.symbolic.arranger", "guitar.toml", voicing.load_guitar),
    ("partita.symbolic.composer", "chords.toml", chords.load_chords),
    ("partita.symbolic", "dynamics.toml", dynamics.load_velocities),
]


def _text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _broken(tmp_path: Path, package: str, name: str, old: str, new: str) -> Path:
    text = _text(package, name)
    assert old in text, f"{old!r} not in {name}"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("package", "name", "load"), FILES)
def test_a_copy_loads_like_the_package_data(tmp_path: Path, package: str, name: str, load) -> None:
    path = tmp_path / name
    path.write_text(_text(package, name), encoding="utf-8")
    assert load(path) == load()
    assert load() is load()  # read once


@pytest.mark.parametrize(("package", "name", "load"), FILES)
def test_every_file_cites_a_source_and_ships_as_package_data(package: str, name: str, load) -> None:
    header = _text(package, name).split("\n[", 1)[0]
    assert re.search(r"\b(19|20)\d\d\b", header), f"{name}: the header cites no dated source"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"][package]
    assert any(Path(name).match(g) for g in globs)


def test_timbre_fields_are_documented_with_their_ranges() -> None:
    header = _text("partita.render", "timbres.toml").split("\n[", 1)[0]
    for f in dataclasses.fields(timbres.DesignedTimbre):
        if f.name != "decoder_id":
            assert re.search(rf"#\s+{f.name}\s", header), f.name
    for name, (lo, hi) in timbres._RANGES.items():
        line = header[header.index(f"#   {name} ") :].split("[", 1)[0]
        assert f"{lo:g}-{hi:g}" in line.replace(" ", "") or f"{lo:g}-{hi:g}" in line, (name, line)


def test_performer_fields_are_documented() -> None:
    header = _text("partita.render", "performers.toml").split("\n[", 1)[0]
    for f in dataclasses.fields(performance.Style):
        assert re.search(rf"#\s+{f.name}\s", header), f.name


@pytest.mark.parametrize(
    ("package", "name", "load", "old", "new", "entry", "field", "why"),
    [
        # out of range
        ("partita.render", "timbres.toml", timbres.load_timbres, "[timbre.bowed]\ntilt = 1.0",
         "[timbre.bowed]\ntilt = 9.0", "bowed", "tilt", "outside 0.2 to 6"),
        # wrong type
        ("partita.render", "timbres.toml", timbres.load_timbres, "lowpass_hz = 6000\nnoise_db = -26",
         'lowpass_hz = "bright"\nnoise_db = -26', "bowed", "lowpass_hz", "not a number"),
        # a formant with a field missing
        ("partita.render", "timbres.toml", timbres.load_timbres, "formants = [[1100, 500, 10], ",
         "formants = [[1100, 500], ", "oboe", "formants", "not [freq_hz, bandwidth_hz, gain_db]"),
        ("partita.render", "timbres.toml", timbres.load_timbres, "formants = [[1100, 500, 10], ",
         "formants = [[1100, 0, 10], ", "oboe", "formants[1].bandwidth_hz", "outside 1 to 10000"),
        # a misspelt field
        ("partita.render", "timbres.toml", timbres.load_timbres, "[timbre.flute]\ntilt = 2.6",
         "[timbre.flute]\ntlit = 2.6", "flute", "tlit", "unknown field"),
        # a style map naming no timbre
        ("partita.render", "timbres.toml", timbres.load_timbres, 'violin = "bowed"', 'violin = "bowd"',
         "style_of_instrument", "violin", "not one of"),
        ("partita.render", "performers.toml", performance.load_styles, "[style.bowed]\nattack_s = 0.07",
         "[style.bowed]\nattack_s = -0.07", "bowed", "attack_s", "outside 0.001 to 2"),
        ("partita.render", "performers.toml", performance.load_styles, "sustained = false",
         'sustained = "no"', "plucked", "sustained", "not true or false"),
        ("partita.render", "drum_kit.toml", drums.load_kit, '35 = { kind = "kick", f_hi = 130.0, ',
         '35 = { kind = "kick", ', "key 35", "f_hi", "missing"),
        ("partita.render", "drum_kit.toml", drums.load_kit, '36 = { kind = "kick"', '36 = { kind = "kik"',
         "key 36", "kind", "not one of"),
        ("partita.render", "drum_sampler.toml", drum_samples.layout, '42 = { group = "hats", pan = -0.35 }',
         '42 = { group = "hat", pan = -0.35 }', "piece 42", "group", "not one of"),
        ("partita.render", "drum_sampler.toml", drum_samples.layout, "timing_sd_ms = 6.0", "timing_sd_ms = 60.0",
         "humanize", "timing_sd_ms", "outside 0 to 50"),
        ("partita.render", "drum_kit.toml", drums.load_kit, "bp_lo = 1500.0, bp_hi = 6000.0",
         "bp_lo = 7000.0, bp_hi = 6000.0", "key 37", "bp_lo", "not below bp_hi"),
        ("partita.theory_rules", "profiles.toml", engine.load_profiles, 'key-outside = { mode = "lenient" }',
         'key-outside = { mode = "sloppy" }', "chorale", "rules.key-outside", "sloppy"),
        ("partita.theory_rules", "profiles.toml", engine.load_profiles, "spacing = {}", "spaceing = {}",
         "chorale", "rules.spaceing", "unknown rule"),
        ("partita.theory_rules", "profiles.toml", engine.load_profiles,
         'description = "range, key and rhythm only"', "description = 3", "pop", "description", "not a string"),
        ("partita.instruments", "gm_fallback.toml", catalog.load_program_fallback, '7 = "harpsichord"',
         "7 = 6", "fallback", "7", "not a string"),
        ("partita.instruments", "gm_fallback.toml", catalog.load_program_fallback, '7 = "harpsichord"',
         '207 = "harpsichord"', "fallback", "207", "integer 0-127"),
        ("partita.symbolic.arranger", "guitar.toml", voicing.load_guitar, 'dim = ["x", 0, 1, 2, 1, "x"]',
         'dim = ["x", 0, 1, 2, 9, "x"]', "shape.A", "dim", "not 6 frets 0-5"),
        ("partita.symbolic.arranger", "guitar.toml", voicing.load_guitar, 'min = ["x", 0, 2, 2, 1, 0]',
         'min = ["x", 2, 2, 2, 1, 0]', "shape.A", "min", "root string at 0"),
        ("partita.symbolic.arranger", "guitar.toml", voicing.load_guitar, "strings = [40, 45, 50, 55, 59, 64]",
         "strings = [40, 45, 50, 55, 59]", "tuning", "strings", "not 6 MIDI note numbers"),
        ("partita.symbolic.composer", "grooves.toml", sample.load_grooves, "0 = [[42], [], [42]",
         "0 = [[42], [], [142]", "level 0", "step 3", "not a GM percussion key"),
        ("partita.symbolic.composer", "decoding.toml", sample.load_decoding, "top_p = 0.9\nmelody",
         "top_p = 1.9\nmelody", "chorale", "top_p", "outside 0.05 to 1"),
        ("partita.symbolic.composer", "chords.toml", chords.load_chords, "intervals = [0, 3, 7]",
         "intervals = [0, 3, 17]", "qualities.min", "intervals", "not 3-4 pitch classes"),
        ("partita.symbolic.composer", "chords.toml", chords.load_chords, "[roman.minor]\ni = 0",
         "[roman.minor]\nj = 0", "roman.minor", "i", "missing"),
        ("partita.symbolic", "dynamics.toml", dynamics.load_velocities, "pp = 33", "pp = 133", "velocity", "pp",
         "outside 1 to 127"),
        ("partita.symbolic", "dynamics.toml", dynamics.load_velocities, "default = 80", "default = 80.5", "dynamics",
         "default", "not an integer"),
    ],
)  # fmt: skip
def test_a_broken_copy_names_file_entry_and_field(tmp_path, package, name, load, old, new, entry, field, why) -> None:
    path = _broken(tmp_path, package, name, old, new)
    with pytest.raises(PresetError) as info:
        load(path)
    err = info.value
    assert isinstance(err, ConfigError)  # callers that catch ConfigError still do
    assert (err.file, err.entry, err.field) == (str(path), entry, field)
    assert why in str(err)
    assert str(err).startswith(f"{path}: entry {entry!r}, field {field!r}: ")


def test_invalid_toml_and_missing_tables(tmp_path: Path) -> None:
    bad = tmp_path / "timbres.toml"
    bad.write_text("[timbre.bowed\n", encoding="utf-8")
    with pytest.raises(PresetError, match="not valid TOML") as info:
        timbres.load_timbres(bad)
    assert info.value.file == str(bad)
    bad.write_text("[style_of_family]\n", encoding="utf-8")
    with pytest.raises(PresetError, match=r"the table \[timbre\] is missing"):
        timbres.load_timbres(bad)
    with pytest.raises(PresetError, match="cannot read"):
        timbres.load_timbres(tmp_path / "absent.toml")
    kit = _broken(tmp_path, "partita.render", "drum_kit.toml", "\n38 = {", "\n138 = {")
    with pytest.raises(PresetError, match="MIDI note number"):
        drums.load_kit(kit)
    grooves = _broken(tmp_path, "partita.symbolic.composer", "grooves.toml", "\n3 = [", "\n7 = [")
    with pytest.raises(PresetError, match="without a gap"):
        sample.load_grooves(grooves)


def test_the_cli_reports_a_preset_error_on_one_line(tmp_path: Path) -> None:
    # what the CLI prints: str(error), one line, naming file, entry and field
    path = _broken(tmp_path, "partita.render", "performers.toml", "db_range = 24", "db_range = 240")
    with pytest.raises(PresetError) as info:
        performance.load_styles(path)
    assert "\n" not in str(info.value) and "entry 'flute', field 'db_range'" in str(info.value)


def test_loaded_tables_keep_their_meaning() -> None:
    # independent spot checks against the numbers docs/render.md quotes
    assert timbres.TIMBRES["clarinet"].even_gain == 0.12 and timbres.TIMBRES["clarinet"].odd_below_hz == 2200
    assert [f.freq_hz for f in timbres.TIMBRES["voice_high"].formants] == [850, 1250, 2900]
    assert performance.STYLES["bowed"].vibrato_depth_cents == 18 and performance.STYLES["bowed"].vibrato_rate_hz == 5.6
    assert performance.STYLES["piano"].sustained is False and performance.STYLES["organ"].sustained is True
    assert drums.GM_DRUMS[36] == ("kick", {"f_hi": 150.0, "f_lo": 48.0, "decay": 0.3})
    assert set(engine.PROFILES) == {"chorale", "classical", "pop", "orchestration"}
    assert dict(engine.PROFILES["chorale"].rules["key-outside"]) == {"mode": "lenient"}
    from partita.symbolic.arranger.library import DRUM_KEYS
    from partita.symbolic.composer.controls import ENERGY_LEVELS

    assert DRUM_KEYS["kick"] == 36 and DRUM_KEYS["tom_lo"] == 43
    assert sorted(sample.GROOVES) == list(range(ENERGY_LEVELS))  # one groove per energy level


def test_gm_fallback_stands_in_only_where_the_catalog_has_no_program() -> None:
    programs = catalog._catalog().programs
    assert programs[0] == "piano" and programs[40] == "violin"  # entries of their own
    assert programs[7] in ("clavinet", "harpsichord")  # Clavi: its own entry if the catalog has one
    assert programs[109] == "oboe" and programs[118] == "timpani"  # Bag pipe, Synth Drum
    assert programs[90] == "piano"  # a pad: in neither file


def test_guitar_shapes_sound_the_chord_they_name() -> None:
    # independent check: every shape, on every root, sounds exactly its chord's pitch classes
    intervals = {"maj": {0, 4, 7}, "min": {0, 3, 7}, "7": {0, 4, 7, 10}, "dim": {0, 3, 6}, "aug": {0, 4, 8}}
    tuning, shapes = voicing.load_guitar()
    for (shape, quality), frets in shapes.items():
        root = tuning[0 if shape == "E" else 1]
        pcs = {(tuning[s] + f - root) % 12 for s, f in enumerate(frets) if f is not None}
        assert pcs == intervals[quality], (shape, quality)
