"""Shared pieces of the batch tests: tiny scores, a loopback Dask cluster of real processes,
and the hashes of a dataset folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from partita.symbolic import io as sio
from partita.symbolic.score import Note, Part, Score
from partita.symbolic.timeline import TempoMap, TempoMark

BIN = Path(sys.executable).parent
SR = 8000  # the lowest rate the renderer takes: the tests are about the batch, not the sound


def tiny_scores(folder: Path, n: int = 3) -> list[Path]:
    """``n`` two-bar scores (the even ones with a cello part), a copy of the first under another
    name, and one unreadable file."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        fl = Part("fl", "Flute", "flute", notes=tuple(Note(i, 1, 72 + (i * (k + 1)) % 7) for i in range(8)))
        vc = Part("vc", "Cello", "cello", notes=tuple(Note(2 * i, 2, 48 + (i * k) % 5) for i in range(4)))
        score = Score(parts=(fl, vc) if k % 2 == 0 else (fl,), tempo_map=TempoMap((TempoMark(0, 150.0 + 10 * k),)))
        paths.append(folder / f"s{k}.musicxml")
        sio.write(score, paths[-1])
    (folder / "s0_copy.musicxml").write_bytes(paths[0].read_bytes())
    (folder / "broken.musicxml").write_text("<score-partwise><part", encoding="utf-8")
    return paths


def dataset_hashes(out: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file an item lists, plus the manifest's own bytes."""
    found = {}
    for item in sorted((out / "items").glob("*/item.json")):
        rec = json.loads(item.read_text())
        for rel, digest in rec["files"].items():
            found[f"{item.parent.name}/{rel}"] = digest
        found[f"{item.parent.name}/item.json"] = item.read_bytes().hex()
    found["manifest.jsonl"] = (out / "manifest.jsonl").read_text()
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, stopped by :meth:`stop`."""

    def __init__(self, n_workers: int = 2) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
        )  # fmt: skip
        # --no-nanny: each worker is the process itself, so killing its pid loses the worker
        self.workers = [
            subprocess.Popen(
                [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--host", "127.0.0.1", "--name", f"w{i}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
            )  # fmt: skip
            for i in range(n_workers)
        ]
        self.wait_for_workers(n_workers)

    def wait_for_workers(self, n: int, timeout_s: float = 90.0) -> None:
        from distributed import Client

        t0 = time.monotonic()
        with Client(self.address, timeout="60s", set_as_default=False) as c:
            while len(c.scheduler_info()["workers"]) < n:
                if time.monotonic() - t0 > timeout_s:
                    raise RuntimeError(f"only {len(c.scheduler_info()['workers'])} of {n} workers came up")
                time.sleep(0.2)

    def kill_worker(self, i: int) -> None:
        os.kill(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait(timeout=30)

    def stop(self) -> None:
        for p in [*self.workers, self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in [*self.workers, self.scheduler]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
