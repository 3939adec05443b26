"""Speaker clustering with an automatic count: average-linkage agglomeration of unit
embeddings on cosine distance, cut at a threshold within the allowed number of speakers.
"""

from __future__ import annotations

import numpy as np


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Dense labels 0..k-1."""
    return np.unique(labels, return_inverse=True)[1]


# Cosine distance under which two groups of local-speaker embeddings are one voice (average
# linkage). Each local speaker is heard for up to 10 s, so its embedding is far steadier than
# a 2.5 s window's and a plain threshold separates voices without an eigengap to read.
VOICE_DISTANCE = 0.5


def agglomerate(
    embeddings: np.ndarray,
    *,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int | None = None,
    threshold: float = VOICE_DISTANCE,
) -> np.ndarray:
    """Cluster labels (0..k-1): average-linkage agglomeration on cosine distance, cut at
    `threshold`, or at the speaker count's bounds when the threshold falls outside them."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(embeddings)
    if n < 2:
        return np.zeros(n, dtype=int)
    tree = linkage(_normalize(np.asarray(embeddings, dtype=np.float64)), method="average", metric="cosine")
    if num_speakers is not None:
        return _relabel(fcluster(tree, min(num_speakers, n), criterion="maxclust"))
    labels = fcluster(tree, threshold, criterion="distance")
    k = int(labels.max())
    low, high = min(max(1, min_speakers), n), min(max_speakers or n, n)
    if k < low or k > high:
        labels = fcluster(tree, low if k < low else high, criterion="maxclust")
    return _relabel(labels)
