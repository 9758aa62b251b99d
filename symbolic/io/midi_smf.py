"""The events of a Standard MIDI file, read as mido reads them but without a Python object per
note event (mido's per-message decoding and checks were a third of the CPU time of reading a
MIDI file).

:func:`events` reads the header and the tracks of a file exactly as ``mido.MidiFile`` does
(signed header fields, ``MTrk`` chunks one after another, running status, meta and sysex
events) and gives each track as a list of ``(delta, type, channel, a, b)`` tuples: for
``note_on``/``note_off`` ``a`` is the key and ``b`` the velocity, for ``program_change`` ``a``
is the program; another channel event is ``(delta, "other", channel, None, None)``; a meta
event is ``(delta, its type, None, the mido MetaMessage, None)``, built by mido itself (so its
fields and its errors are mido's); a sysex event is ``(delta, "other", None, None, None)``. Whatever mido would refuse or read oddly (a byte out of range, a
status byte that is not a channel, meta or sysex event, a running status after a sysex, an
event that runs past its chunk or past the data) raises :class:`Unusual`, and the caller
reads the file with mido, which then says what is wrong. ``tests/test_midi.py`` checks that
the two agree.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["Unusual", "events", "events_of_track"]

_MAX_MESSAGE_LENGTH = 1_000_000  # mido's limit on the length of a meta or sysex event
_CHANNEL_TYPES = {0x80: "note_off", 0x90: "note_on", 0xC0: "program_change"}

Event = tuple[int, str, Any, Any, Any]


class Unusual(Exception):
    """The file holds something the fast reader leaves to mido."""


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
    from mido.midifiles.meta import build_meta_message, meta_charset

    out: list[Event] = []
    append = out.append
    last_status = None
    n = len(data)
    if end > n:
        raise Unusual("the track runs past the end of the file")
    with meta_charset("latin1"):
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
                    msg = build_meta_message(meta_type, list(body), delta)
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
