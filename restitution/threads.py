"""The numeric libraries' threads, set from a session's options rather than inherited.

A result must not depend on what launched the process: a Dask nanny starts its workers with
OPENBLAS_NUM_THREADS=1, a local worker inherits the shell's (every core by default). OpenBLAS
splits a matrix product by thread count, and an edge block computed by another kernel moves
the last bits of the clustering's similarities: near a threshold, enough to move a speaker
turn. torch is told its count here too, CTranslate2 through `cpu_threads`; BLAS through
threadpoolctl, which reaches the libraries already loaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with `n` torch threads, then restore: some libraries set their own count on import."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Run with `n` BLAS threads in every BLAS library numpy and scipy load, then restore."""
    import scipy.linalg  # noqa: F401  loads scipy's BLAS now, so that the limit reaches it too
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(1, n), user_api="blas"):
        yield


__all__ = ["blas_threads", "torch_threads"]
