"""Segmentation covering of the ground truth by one kMaX layer's argmax clusters, measured as
src/eval/layer-covering.ts does (the app's map: each image pixel takes its nearest grid cell,
the grid spanning the image corner to corner), so training curves and `kmax eval` agree.

    covering = sum_S |S| * max_C IoU(S, C) / sum_S |S|   over labelled, non-crowd pixels
"""

import numpy as np


def nearest_cell(cells: int, pixels: int) -> np.ndarray:
    scale = (cells - 1) / (pixels - 1) if pixels > 1 else 0.0
    return np.floor(np.arange(pixels) * scale + 0.5).astype(np.int64)  # Math.round: halves go up


def assignment_covering(assignment: np.ndarray, panoptic: np.ndarray, segments: list) -> float:
    """assignment [h, w] cluster per grid cell; panoptic [H, W] segment id per image pixel."""
    height, width = panoptic.shape
    clusters = assignment[nearest_cell(assignment.shape[0], height)][:, nearest_cell(assignment.shape[1], width)]
    labelled_ids = [s["id"] for s in segments if not s.get("iscrowd", 0)]
    labelled = np.isin(panoptic, labelled_ids)
    if not labelled.any():
        return 0.0
    segment, cluster = panoptic[labelled], clusters[labelled]
    pairs, shared = np.unique(np.stack([segment, cluster]), axis=1, return_counts=True)
    segment_ids, segment_sizes = np.unique(segment, return_counts=True)
    cluster_ids, cluster_sizes = np.unique(cluster, return_counts=True)
    size_of_segment = dict(zip(segment_ids.tolist(), segment_sizes.tolist()))
    size_of_cluster = dict(zip(cluster_ids.tolist(), cluster_sizes.tolist()))
    best = {}
    for (s, c), n in zip(pairs.T.tolist(), shared.tolist()):
        iou = n / (size_of_segment[s] + size_of_cluster[c] - n)
        best[s] = max(best.get(s, 0.0), iou)
    return float(sum(size_of_segment[s] * iou for s, iou in best.items()) / segment.size)
