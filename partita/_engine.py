"""The one place partita runs many independent jobs at once: Dask ``distributed``.

:class:`Engine` is a ``dask.distributed`` client on a LocalCluster (default: one worker process
per core, each with one thread, and numba, OpenMP and BLAS held to the cores that worker owns
so that N workers never run more than N busy threads) or on an existing scheduler
(``tcp://HOST:PORT``, workers started with ``dask worker``). :func:`map_items` is the small
ordered map that the instrument data builder and the corpus tokenizer use; ``partita batch``
(:mod:`partita.batch`) submits its own graph of tasks through the same :class:`Engine`.

This module sits at the bottom of the layers (beside :mod:`partita._fileio`): it knows nothing
of scores or audio, only of picklable module-level functions and their arguments.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from partita.errors import PartitaError

__all__ = ["Engine", "EngineError", "Progress", "map_items", "worker_env"]

#: Thread pools a worker's libraries size from the environment at import.
_THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class EngineError(PartitaError):
    """The Dask scheduler cannot be reached, or the engine cannot start."""


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a batch stands: items finished (``done`` includes ``skipped``), ``failed``, of
    ``total``; ``elapsed_s`` and ``eta_s`` (None until one item has been computed)."""

    done: int
    failed: int
    skipped: int
    total: int
    elapsed_s: float
    eta_s: float | None

    @property
    def finished(self) -> int:
        return self.done + self.failed


def worker_env(threads: int) -> dict[str, str]:
    """Environment of a worker process that may use ``threads`` cores.

    >>> worker_env(1)["NUMBA_NUM_THREADS"]
    '1'
    """
    return {k: str(max(1, int(threads))) for k in _THREAD_VARS}


class Engine:
    """A Dask client: on a new LocalCluster, or on the scheduler at ``scheduler``.

    Parameters
    ----------
    scheduler
        ``tcp://HOST:PORT`` of a running ``dask scheduler``; None starts a LocalCluster.
    workers
        LocalCluster only: worker processes (default: the number of cores).
    connect_timeout_s
        How long to try reaching ``scheduler`` before :class:`EngineError` (default: Dask's
        ``distributed.comm.timeouts.connect``, 30 s unless configured).

    Examples
    --------
    >>> with Engine(workers=1) as eng:  # doctest: +SKIP
    ...     eng.client.submit(abs, -2).result()
    2
    """

    def __init__(self, scheduler: str | None = None, *, workers: int | None = None, connect_timeout_s: float | None = None) -> None:
        cores = os.cpu_count() or 1
        if workers is not None and workers < 1:
            from partita.errors import ConfigError

            raise ConfigError(f"workers {workers} must be at least 1")
        self.scheduler = scheduler
        self.n_workers = workers or cores
        self.connect_timeout_s = connect_timeout_s
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            extra = {} if self.connect_timeout_s is None else {"timeout": f"{self.connect_timeout_s}s"}
            try:
                self.client = Client(self.scheduler, set_as_default=False, **extra)
            except (OSError, TimeoutError) as exc:
                raise EngineError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
            except ValueError as exc:  # a malformed address
                raise EngineError(f"not a Dask scheduler address: {self.scheduler} ({exc})") from None
            return
        cores = os.cpu_count() or 1
        threads = max(1, cores // self.n_workers)
        self.cluster = LocalCluster(
            n_workers=self.n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.ERROR, env=worker_env(threads),
        )  # fmt: skip
        self.client = Client(self.cluster, set_as_default=False)

    @property
    def scheduler_address(self) -> str | None:
        """The scheduler's address (``tcp://...``), for other clients to join the same cluster."""
        if self.cluster is not None:
            return self.cluster.scheduler_address
        return self.scheduler

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard's address (None when the dashboard is not running)."""
        try:
            return self.client.dashboard_link if self.client is not None else None
        except Exception:  # noqa: BLE001 - no dashboard (bokeh missing): nothing to show
            return None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def _call(fn: Callable[..., Any], item: Any, kwargs: dict[str, Any]) -> Any:
    return fn(item, **kwargs)


def map_items(
    fn: Callable[..., Any],
    items: Sequence[Any],
    *,
    scheduler: str | None = None,
    workers: int = 1,
    progress: Callable[[Progress], None] | None = None,
    **kwargs: Any,
) -> Iterator[Any]:
    """``fn(item, **kwargs)`` for every item, yielded in the items' order.

    ``scheduler`` None and ``workers`` 1: in this process, one after the other. Otherwise on an
    :class:`Engine` (a LocalCluster of ``workers`` processes, or the given scheduler); ``fn``
    must be a module-level function and items and results picklable. A task whose worker dies
    is run again elsewhere by Dask. ``progress`` is called after every item.

    >>> list(map_items(abs, [-1, 2, -3]))
    [1, 2, 3]
    """
    t0 = time.perf_counter()
    total = len(items)

    def tell(done: int) -> None:
        if progress is not None:
            el = time.perf_counter() - t0
            eta = el / done * (total - done) if done else None
            progress(Progress(done, 0, 0, total, el, eta))

    if scheduler is None and workers <= 1:
        for i, item in enumerate(items):
            result = fn(item, **kwargs)
            tell(i + 1)
            yield result
        return
    with Engine(scheduler, workers=None if scheduler else workers) as eng:
        futures = [eng.client.submit(_call, fn, item, kwargs, pure=False) for item in items]
        try:
            ready: dict[int, Any] = {}
            index = {f.key: i for i, f in enumerate(futures)}
            nxt = 0
            from distributed import as_completed

            for n, fut in enumerate(as_completed(futures, loop=eng.client.loop), start=1):
                ready[index[fut.key]] = fut.result()
                fut.release()
                tell(n)
                while nxt in ready:
                    yield ready.pop(nxt)
                    nxt += 1
        finally:
            for f in futures:
                f.cancel()
