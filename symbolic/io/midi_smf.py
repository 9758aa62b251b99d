"""The events of a Standard MIDI file, read as mido reads them but without a Python object per
note event (mido's per-message decoding and checks were a third of the CPU time of reading a
MIDI file).

:func:`events` reads the header and the tracks of a file exactly as ``mido.MidiFile`` does
(signed header fields, ``MTrk`` chunks one after another, running status, meta and sysex
events) and gives each track as a list of ``(delta, type, channel, a, b)`` tuples: for
``note_on``/``note_off`` ``a`` is the key and ``b`` the velocity, for ``program_change`` ``a``
is the program; another channel event is ``(delta, "other", channel, None, None)``; a meta
event is ``(delta, its type, None, its message, None)``: for the meta events a reader needs
and most files have (track name, marker, tempo, meter, key, end of track) a :class:`Meta` with
mido's type name and fields, decoded here as mido decodes them; for any other the mido
MetaMessage, built by mido itself (so its fields and its errors are mido's). A sysex event is
``(delta, "other", None, None, None)``. (mido is imported only for such an event: its import
took 30 ms, a tenth of the start of a render.) Whatever mido would refuse or read oddly (a byte out of range, a
status byte that is not a channel, meta or sysex event, a running status after a sysex, an
event that runs past its chunk or past the data) raises :class:`Unusual`, and the caller
reads the file with mido, which then says what is wrong. ``tests/test_midi.py`` checks that
the two agree.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["Meta", "Unusual", "events", "events_of_track"]

_MAX_MESSAGE_LENGTH = 1_000_000  # mido's limit on the length of a meta or sysex event
_CHANNEL_TYPES = {0x80: "note_off", 0x90: "note_on", 0xC0: "program_change"}

Event = tuple[int, str, Any, Any, Any]


class Unusual(Exception):
    """The file holds something the fast reader leaves to mido."""


class Meta:
    """A meta event decoded by this reader: ``type``, ``time`` (the delta) and the fields of
    mido's MetaMessage of that type (``name``, ``text``, ``tempo``, ``numerator`` ...), with
    mido's ``dict()``."""

    is_meta = True

    def __init__(self, type: str, time: int, **fields: Any):
        self.type = type
        self.time = time
        self.__dict__.update(fields)

    def dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def __repr__(self) -> str:
        return f"Meta({self.dict()!r})"


# sharps (+) or flats (-) and mode (0 major, 1 minor) -> mido's name of the key
_KEY_NAMES = {
    **{(f, 0): name for f, name in zip(range(-7, 8), "Cb Gb Db Ab Eb Bb F C G D A E B F# C#".split())},
    **{(f, 1): name + "m" for f, name in zip(range(-7, 8), "Ab Eb Bb F C G D A E B F# C# G# D# A#".split())},
}


def _meta(meta_type: int, body: bytes, delta: int) -> Any:
    """A meta event's message: a :class:`Meta` for the types decoded here, else mido's (which
    raises where mido refuses the event)."""
    if meta_type == 0x2F:
        return Meta("end_of_track", delta)
    if meta_type == 0x03:
        return Meta("track_name", delta, name=body.decode("latin-1"))
    if meta_type == 0x06:
        return Meta("marker", delta, text=body.decode("latin-1"))
    if meta_type == 0x51 and len(body) >= 3:
        return Meta("set_tempo", delta, tempo=(body[0] << 16) | (body[1] << 8) | body[2])
    if meta_type == 0x58 and len(body) >= 4:
        return Meta("time_signature", delta, numerator=body[0], denominator=2 ** body[1],
                    clocks_per_click=body[2], notated_32nd_notes_per_beat=body[3])  # fmt: skip
    if meta_type == 0x59 and len(body) >= 2 and (key := _KEY_NAMES.get((body[0] - 256 * (body[0] > 127), body[1]))):
        return Meta("key_signature", delta, key=key)
    from mido.midifiles.meta import build_meta_message, meta_charset

    with meta_charset("latin1"):
        return build_meta_message(meta_type, list(body), delta)


def events(data: bytes) -> tuple[int, int, list[list[Event]]]:
    """(format, ticks per quarter, events of each track) of the Standard MIDI file ``data``."""
    if len(data) < 8 or data[:4] != b"MThd":
        raise Unusual("no MThd header")
    size = struct.unpack_from(">L", data, 4)[0]
    if size < 6 or len(data) < 8 + 6:
        raise Unusual("short header")
    kind, n_tracks, tpq = struct.unpack_from(">hhh", data, 8)
    pos = 8 + min(size, len(data) - 8)
    tracks = []
    for _ in range(n_tracks):
        if len(data) < pos + 8 or data[pos : pos + 4] != b"MTrk":
            raise Unusual("no MTrk chunk where a track should start")
        length = struct.unpack_from(">L", data, pos + 4)[0]
        start = pos + 8
        track, pos = events_of_track(data, start, start + length)
        tracks.append(track)
    return kind, tpq, tracks


def events_of_track(data: bytes, pos: int, end: int) -> tuple[list[Event], int]:
    """The events of the track chunk whose data runs from ``pos`` to ``end``, and ``end``."""
    out: list[Event] = []
    append = out.append
    last_status = None
    n = len(data)
    if end > n:
        raise Unusual("the track runs past the end of the file")
    while pos != end:
        if pos > end:
            raise Unusual("an event runs past the end of its track")
        delta = 0
        while True:  # variable-length delta time
            byte = data[pos]
            pos += 1
            delta = (delta << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
            if pos >= end:
                raise Unusual("a delta time runs past the end of its track")
        if pos >= end:
            raise Unusual("an event runs past the end of its track")
        status = data[pos]
        pos += 1
        if status < 0x80:
            if last_status is None or last_status >= 0xF0:
                raise Unusual("running status without a channel status before it")
            pos -= 1  # the byte read is the first data byte
            status = last_status
        elif status != 0xFF:
            last_status = status
        if status < 0xF0:
            size = 1 if 0xC0 <= status < 0xE0 else 2
            if pos + size > end:
                raise Unusual("a channel event runs past the end of its track")
            a = data[pos]
            b = data[pos + 1] if size == 2 else 0
            pos += size
            if a > 127 or b > 127:
                raise Unusual("a data byte above 127")
            kind = _CHANNEL_TYPES.get(status & 0xF0)
            if kind is None:
                append((delta, "other", status & 0x0F, None, None))
            else:
                append((delta, kind, status & 0x0F, a, b))
        elif status in (0xFF, 0xF0, 0xF7):
            meta_type = -1
            if status == 0xFF:
                if pos >= end:
                    raise Unusual("a meta event runs past the end of its track")
                meta_type = data[pos]
                pos += 1
            length = 0
            while True:
                if pos >= end:
                    raise Unusual("a length runs past the end of its track")
                byte = data[pos]
                pos += 1
                length = (length << 7) | (byte & 0x7F)
                if byte < 0x80:
                    break
            if length > _MAX_MESSAGE_LENGTH or pos + length > end:
                raise Unusual("an event longer than its track")
            body = data[pos : pos + length]
            pos += length
            if status == 0xFF:
                msg = _meta(meta_type, body, delta)
                # msg.time, not delta: mido gives a meta event of a type it does not know
                # the time 0 (it loses the delta), and so a file read through it
                append((msg.time, msg.type, None, msg, None))
            else:
                if body[:1] == b"\xf0":
                    body = body[1:]
                if body[-1:] == b"\xf7":
                    body = body[:-1]
                if any(x > 127 for x in body):
                    raise Unusual("a sysex data byte above 127")
                append((delta, "other", None, None, None))
        else:
            raise Unusual(f"status byte 0x{status:02x} in a file")
    return out, pos
