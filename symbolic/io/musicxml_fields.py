"""Names and tables shared by the MusicXML reader (:mod:`~partita.symbolic.io.musicxml_read`)
and writer (:mod:`~partita.symbolic.io.musicxml_write`)."""

from __future__ import annotations

import re

__all__ = ["EXPRESSION_FIELD", "METADATA_FIELD", "PART_IDS_FIELD", "NATIVE_METADATA", "FILE_METADATA", "XML_ID",
           "ALTER_SIGN", "M21_ACCIDENTAL", "CLEFS", "score_figure"]  # fmt: skip

#: MusicXML ``<miscellaneous-field>`` names partita writes.
EXPRESSION_FIELD = "partita-expression"
METADATA_FIELD = "partita-metadata"
PART_IDS_FIELD = "partita-part-ids"

NATIVE_METADATA = ("composer", "lyricist", "arranger", "copyright")
#: music21 metadata names that describe the file, not the work: never Score metadata.
FILE_METADATA = frozenset({"fileFormat", "filePath", "fileNumber", "software", "title",
                            "movementName", "movementNumber", "dateCreated", "corpusFilePath"})  # fmt: skip
XML_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
ALTER_SIGN = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}
M21_ACCIDENTAL = {"": "", "#": "#", "##": "##", "b": "-", "bb": "--"}
CLEFS = {"treble": "TrebleClef", "bass": "BassClef", "alto": "AltoClef", "tenor": "TenorClef",
          "treble8vb": "Treble8vbClef", "treble8va": "Treble8vaClef", "bass8vb": "Bass8vbClef",
          "percussion": "PercussionClef"}  # fmt: skip


def score_figure(figure: str) -> str:
    """A music21 chord figure spelt as partita spells it (``B-`` -> ``Bb``)."""
    return re.sub(r"(^|/)([A-G])-", r"\1\2b", figure)
