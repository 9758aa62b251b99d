"""The performer's curve kernels (:mod:`partita.render.performance` is the model around them).

:func:`curves_kernel` computes one phrase's control curves frame by frame, as the module
docstring of :mod:`~partita.render.performance` states the model; :func:`phrases_kernel` runs
it over every phrase of a part in one call. ``tests/test_performance_kernel.py`` holds them to
a plain float64 reference of the model.
"""

from __future__ import annotations

import math

import numpy as np

from partita.render.jit import njit

__all__ = ["curves_kernel", "phrases_kernel"]


@njit(cache=True, error_model="numpy", nogil=True)
def curves_kernel(t, ons, pitches, depth, rate, vel_offset, accent_db, bright0, times, vel, p,
                   f0, loud, bright, noise):  # fmt: skip
    """The curves of one phrase, frame by frame (see the module docstring for the model).

    t: frame times (s); per note: onsets (s), pitches, vibrato depth (cents) and rate (Hz),
    velocity offsets, accent (dB), brightness; (times, vel): the dynamic level breakpoints;
    p: frame rate, first onset, last note end, glide, vibrato delay, attack, release,
    sustained (0/1), decay at middle C, dB at ff, dB range pp..ff, brightness decay, attack
    noise, sustained noise, silence (dB).
    """
    fr, first_on, off, glide, vib_delay, attack, release = p[0], p[1], p[2], p[3], p[4], p[5], p[6]
    sustained, decay_s, db_ff, db_range, b_decay, a_noise, s_noise, silence = (
        p[7] > 0.5, p[8], p[9], p[10], p[11], p[12], p[13], p[14])
    n = t.shape[0]
    n_notes = ons.shape[0]
    idx = 0
    vib_phase = 0.0
    # what depends only on the sounding note, and the last f0, are worked out once; a term
    # whose factor is 0 is left out (adding it adds +0.0: the same bits): the curves are
    # bit-identical to evaluating every term at every frame
    t60 = decay_s * 2.0 ** (-(pitches[0] - 60.0) / 24.0)
    last_arg = np.nan
    last_f0 = 0.0
    for i in range(n):
        ti = t[i]
        # which note sounds: the last one started (before the first: the first)
        moved = False
        while idx + 1 < n_notes and ons[idx + 1] <= ti:
            idx += 1
            moved = True
        if moved and not sustained:
            t60 = decay_s * 2.0 ** (-(pitches[idx] - 60.0) / 24.0)
        pitch = pitches[idx]
        # raised-cosine glides in log frequency around each new onset of a legato phrase
        if glide > 0.0:
            for k in range(1, n_notes):
                a = pitches[k - 1]
                b = pitches[k]
                if a == b:
                    continue
                t0 = ons[k] - glide / 2.0
                if t0 <= ti < ons[k] + glide / 2.0:
                    x = min(max((ti - t0) / glide, 0.0), 1.0)
                    pitch = a + (b - a) * 0.5 * (1.0 - math.cos(math.pi * x))
        # vibrato: phase continuous through the phrase, depth faded in after the delay
        vib_phase += rate[idx] / fr
        fade_in = min(max((ti - first_on - vib_delay) / 0.3, 0.0), 1.0)
        arg = pitch
        if depth[idx] * fade_in != 0.0:
            cents = depth[idx] * fade_in * math.sin(2.0 * math.pi * vib_phase)
            arg = pitch + cents / 100.0
        if arg != last_arg:
            last_arg = arg
            last_f0 = 440.0 * 2.0 ** ((arg - 69.0) / 12.0)
        f0[i] = last_f0
        # loudness: level curve + note offset, accent, envelope
        v = np.interp(ti, times, vel) + vel_offset[idx]
        v = min(max(v, 1.0), 127.0)
        level = db_ff - db_range * (112.0 - v) / (112.0 - 33.0)
        age = max(ti - ons[idx], 0.0)
        if accent_db[idx] != 0.0:
            level += accent_db[idx] * math.exp(-age / 0.12)
        amp = min(max((ti - first_on) / attack, 0.0), 1.0)
        decay_db = 0.0
        if not sustained:
            decay_db = -60.0 * age / t60
        rel = min(max(1.0 - (ti - off) / release, 0.0), 1.0)
        env = amp * rel
        value = silence
        if env == 1.0:
            value = level + decay_db + 0.0  # 20 log10(1) is +0.0
        elif env > 0.0:
            value = level + decay_db + 20.0 * math.log10(max(env, 1e-12))
        loud[i] = max(value, silence)
        b = bright0[idx]
        if b_decay != 0.0:
            b = bright0[idx] - b_decay * (1.0 - math.exp(-age / 0.4))
        bright[i] = min(max(b, 0.0), 1.0)
        if sustained:
            nz = s_noise + a_noise * math.exp(-max(ti - first_on, 0.0) / 0.06)
        else:
            nz = a_noise * math.exp(-age / 0.03)
        noise[i] = min(max(nz, 0.0), 1.0)
    loud[0] = silence
    loud[n - 1] = silence


@njit(cache=True, error_model="numpy", nogil=True)
def phrases_kernel(start_frames, frame_starts, note_starts, ons, pitches, depth, rate, vel_offset, accent_db,
                    bright0, times, vel, params, f0, loud, bright, noise):  # fmt: skip
    """:func:`curves_kernel` for every phrase of a part in one call: phrase ``k`` has the frames
    ``start_frames[k]`` on, written at ``frame_starts[k]:frame_starts[k + 1]`` of the outputs, the
    notes ``note_starts[k]:note_starts[k + 1]`` of the per-note arrays, and ``params[k]``."""
    for k in range(start_frames.shape[0]):
        a, b = frame_starts[k], frame_starts[k + 1]
        na, nb = note_starts[k], note_starts[k + 1]
        p = params[k]
        t = np.empty(b - a)
        for i in range(b - a):
            t[i] = (start_frames[k] + i) / p[0]  # frame times in seconds, as numpy divides them
        curves_kernel(t, ons[na:nb], pitches[na:nb], depth[na:nb], rate[na:nb], vel_offset[na:nb],
                       accent_db[na:nb], bright0[na:nb], times, vel, p,
                       f0[a:b], loud[a:b], bright[a:b], noise[a:b])  # fmt: skip
