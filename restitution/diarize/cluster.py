"""Speaker clustering with an automatic count: spectral clustering on pruned cosine affinities.

The recipe is 3D-Speaker's (after SpeechBrain): keep each window's strongest affinities, read
the number of speakers from the largest eigengap of the graph Laplacian within the allowed
range, k-means on the leading eigenvectors. Long recordings are clustered on an even subsample
so the affinity matrix stays small, then every window goes to its nearest centroid.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 2000  # affinity matrix of 2000^2 float32: 16 MB; eigh takes a few seconds
MIN_CLUSTER_WINDOWS = 4  # smaller clusters are strays: fold them into the nearest big one
MERGE_SIMILARITY = 0.9  # clusters whose centroids are closer than this are one voice (espeak voices reach 0.89)


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _spectral(x: np.ndarray, min_k: int, max_k: int, num_k: int | None, pval: float) -> np.ndarray:
    from sklearn.cluster import KMeans

    n = len(x)
    affinity = x @ x.T
    keep = max(6, int(round(pval * n)))  # at least a handful of neighbours per window
    if keep < n:
        drop = np.argpartition(affinity, n - keep, axis=1)[:, : n - keep]
        np.put_along_axis(affinity, drop, 0.0, axis=1)
    affinity = 0.5 * (affinity + affinity.T)
    np.fill_diagonal(affinity, 0.0)
    laplacian = np.diag(np.abs(affinity).sum(axis=1)) - affinity
    from scipy.linalg import eigh

    # only the smallest eigenpairs matter: far cheaper than a full decomposition
    values, vectors = eigh(laplacian, subset_by_index=[0, min(n - 1, max_k + 1)])
    if num_k is not None:
        k = num_k
    else:
        gaps = np.diff(values[min_k - 1 : max_k + 1])
        k = int(np.argmax(gaps)) + min_k if len(gaps) else min_k
    k = max(1, min(k, n))
    if k == 1:
        return np.zeros(n, dtype=int)
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors[:, :k])


def _centroids(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return _normalize(np.stack([x[labels == c].mean(axis=0) for c in np.unique(labels)]))


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Dense labels 0..k-1."""
    return np.unique(labels, return_inverse=True)[1]


def _tidy(x: np.ndarray, labels: np.ndarray, min_k: int) -> np.ndarray:
    """Fold tiny clusters into their nearest neighbour, then merge near-identical voices."""
    labels = _relabel(labels)
    counts = np.bincount(labels)
    big = np.flatnonzero(counts >= MIN_CLUSTER_WINDOWS)
    if 0 < len(big) < len(counts) and len(big) >= min_k:
        centers = _centroids(x, labels)[big]
        small = ~np.isin(labels, big)
        labels[small] = big[np.argmax(x[small] @ centers.T, axis=1)]
        labels = _relabel(labels)
    while labels.max() + 1 > max(min_k, 1):
        centers = _centroids(x, labels)
        sim = centers @ centers.T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(np.argmax(sim), sim.shape)
        if sim[a, b] < MERGE_SIMILARITY:
            break
        labels[labels == b] = a
        labels = _relabel(labels)
    return labels


def cluster(
    embeddings: np.ndarray,
    *,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int | None = None,
    pval: float = 0.022,
) -> np.ndarray:
    """Cluster labels (0..k-1) for each row of `embeddings`."""
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    x = _normalize(np.asarray(embeddings, dtype=np.float32))
    if n == 1:
        return np.zeros(1, dtype=int)
    max_k = max_speakers if max_speakers is not None else 15
    max_k = max(1, min(max_k, n - 1))
    min_k = max(1, min(min_speakers, max_k))
    if num_speakers is not None:
        num_speakers = max(1, min(num_speakers, n))
    step = max(1, int(np.ceil(n / MAX_POINTS)))
    sample = x[::step]
    labels = _spectral(sample, min_k, max_k, num_speakers, pval)
    if num_speakers is None:
        labels = _tidy(sample, labels, min_k)
    if step > 1:
        labels = np.argmax(x @ _centroids(sample, labels).T, axis=1)
    return _relabel(labels)
