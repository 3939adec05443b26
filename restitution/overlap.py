"""Work a run does beside its stages, so that a 2-core machine keeps both cores busy.

The speech map runs its network on one torch thread, and so do the speaker embeddings; the
decoder's two threads leave part of a core idle too. Two pieces of work do not wait for their
turn in the table:

- `Encoding`: the MP3 of the recording (export's longest step) depends on nothing but the
  recording and the export options, so ffmpeg encodes it from the start of the run, in its own
  process, into `.work/`; export then tags that very file instead of encoding it.
- `Ahead`: a stage marked `ahead` in pipeline.STAGES (diarize: it reads only the samples and
  the speech map) runs in a thread beside the stages before it once its inputs are known.
  Its result, its failure, and its line in the stage times come in the table's order.

Their CPU time is measured on their own (the thread's clock, ffmpeg's rusage) and taken out of
the stages that run meanwhile, so the breakdown still adds up to the process's CPU time.
"""

from __future__ import annotations

import contextvars
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .audio import command
from .audio import url as _url

log = logging.getLogger("restitution")

ENCODING = ".work/encoding.mp3"  # in the session's folder: the MP3 being encoded, before export tags it


class Abandoned(Exception):
    """Raised in a background stage's thread when the run it belongs to has failed."""


class _Thread:
    """A daemon thread running `work` with the caller's context (the output confinement)."""

    def __init__(self, name: str, work: Callable[[], Any], stop: threading.Event | None = None) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.cpu_final: float | None = None
        self.stop = stop or threading.Event()  # set when the run is abandoned
        self._work = work
        context = contextvars.copy_context()
        self.thread = threading.Thread(target=context.run, args=(self._main,), name=name, daemon=True)
        self._clock: int | None = None
        self._ready = threading.Event()
        self.thread.start()
        self._ready.wait()

    def _main(self) -> None:
        self._clock = time.pthread_getcpuclockid(threading.get_ident())
        self._ready.set()
        try:
            self.value = self._work()
        except BaseException as e:  # handed to whoever waits for it
            self.error = e
        finally:
            self.cpu_final = time.thread_time()

    def cpu(self) -> float:
        """CPU seconds this thread has used so far (all of them once it ended)."""
        if self.cpu_final is not None:
            return self.cpu_final
        try:
            return time.clock_gettime(self._clock) if self._clock is not None else 0.0
        except OSError:  # it ended between the two reads
            return self.cpu_final or 0.0

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)


class Background:
    """Every piece of background work of one run: started, waited for, and abandoned together."""

    def __init__(self) -> None:
        self.threads: list[_Thread] = []
        self.children: list[Encoding] = []

    def start(self, name: str, work: Callable[[], Any], stop: threading.Event | None = None) -> _Thread:
        thread = _Thread(name, work, stop)
        self.threads.append(thread)
        return thread

    def cpu(self) -> float:
        """CPU seconds used so far by the background threads and the processes they reaped."""
        return sum(t.cpu() for t in self.threads) + sum(c.cpu for c in self.children)

    def abandon(self) -> None:
        """The run failed or was interrupted: stop what can be stopped, and wait a little for it."""
        for child in self.children:
            child.cancel()
        for thread in self.threads:
            thread.stop.set()
        for thread in self.threads:
            thread.join(10.0)


class Encoding:
    """ffmpeg encoding the recording to `dest` in its own process, from the start of the run."""

    def __init__(self, background: Background, source: Path, dest: Path, bitrate: str, loudnorm: bool) -> None:
        from .export import mp3

        self.dest = dest
        self.cpu = 0.0
        self.wall = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._cancelled = False
        self._lock = threading.Lock()

        def encode() -> bool:
            start = time.perf_counter()
            args = mp3.encoding_args(source, bitrate, loudnorm)  # with loudnorm: a measuring pass first
            with self._lock:
                if self._cancelled:
                    return False
                self._proc = subprocess.Popen(
                    command(["-y", *args, _url(dest)]), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
            _, status, usage = os.wait4(self._proc.pid, 0)  # its own CPU time, for the breakdown
            self._proc.returncode = os.waitstatus_to_exitcode(status)
            self.cpu, self.wall = usage.ru_utime + usage.ru_stime, time.perf_counter() - start
            return self._proc.returncode == 0

        background.children.append(self)
        self._thread = background.start("mp3", encode)

    def result(self) -> Path | None:
        """The encoded file, or None when the encoding failed (export then encodes and says why)."""
        self._thread.join()
        if self._thread.error is not None or not self._thread.value:
            self.dest.unlink(missing_ok=True)
            return None
        log.info("the MP3 was encoded beside the other stages: %.1f s wall, %.1f s CPU", self.wall, self.cpu)
        return self.dest

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._proc is not None and self._proc.returncode is None:
                self._proc.kill()
        self._thread.join(10.0)
        self.dest.unlink(missing_ok=True)
