"""numpy's and scipy's BLAS run with the session's thread count, whatever the launcher set:
a Dask nanny's OPENBLAS_NUM_THREADS=1, a shell's default of every core."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import scipy.linalg  # noqa: F401  its BLAS loaded, as in a run
from threadpoolctl import threadpool_info, threadpool_limits

from restitution.options import load_options
from restitution.pipeline import run_session
from restitution.sessions import load_session
from restitution.threads import blas_threads


def blas_counts() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_blas_threads_sets_every_blas_library_then_restores() -> None:
    with threadpool_limits(limits=3, user_api="blas"):  # what a launcher might have left
        assert blas_counts() == {3}
        with blas_threads(1):
            assert blas_counts() == {1}
        with blas_threads(0):  # never zero threads
            assert blas_counts() == {1}
        assert blas_counts() == {3}


class Seen(Exception):
    """Raised by the hook once the first stage has started: nothing after it is needed here."""


def test_a_session_runs_its_stages_with_its_own_blas_threads(tmp_path: Path) -> None:
    folder = tmp_path / "recordings" / "seance"
    folder.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-ac", "1",
         str(folder / "recording.wav")],
        check=True,
    )  # fmt: skip
    (folder / "agenda.txt").write_text("- 00:00:00 : Ouverture par Léa Kerbrat\n", "utf-8")
    options = load_options(overrides={"outputs": str(tmp_path / "outputs"), "diarization": {"threads": 2}})
    counts: list[set[int]] = []

    def hook(step: str, *args: object, **kwargs: object) -> None:
        counts.append(blas_counts())
        raise Seen

    with threadpool_limits(limits=1, user_api="blas"):  # a Dask worker's
        with pytest.raises(Seen):
            run_session(load_session(folder)[0], options, hook)
        assert blas_counts() == {1}, "the launcher's setting is back after the run"
    assert counts == [{2}]
