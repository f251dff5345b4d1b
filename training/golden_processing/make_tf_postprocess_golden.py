"""Golden data for src/segmenter/postprocess/panoptic-tf.ts (deeplab2 path, spec 2.2 steps 4-5, 5.5).

Random class and stride-4 mask logits; the reference is a plain numpy (float32) transcription of
deeplab2's "maskwise" post-processor as the spec describes it, written without the engine's code:
legacy TF bilinear upsampling (align_corners=True) to the padded crop, mask scores from the
stride-4 softmax, stable descending sort, `>=` class tests, pasting with the overlap test,
deeplab2's `semantic * divisor + instance` encoding with its area filters, crop to the resized
image, nearest-neighbour (align_corners=True) resize to the raw size. The encoded map is then
renamed into the engine's form: segments in order of their first pasted cluster, ids 1..n.
Run with /usr/bin/python3 (numpy):

    /usr/bin/python3 training/golden_processing/make_tf_postprocess_golden.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "postprocess_tf")

# Six classes: 0-2 things, 3-5 stuff (the engine takes is_thing from its class list).
THINGS = {0, 1, 2}
NUM_CLASSES = 6
LABEL_DIVISOR = 1000
VOID = 255

COCO = dict(pixel=0.4, thing=0.7, stuff=0.5, overlap=0.8, alpha=1.0, beta=1.0)
CITYSCAPES = dict(pixel=0.4, thing=0.5, stuff=0.3, overlap=0.9, alpha=1.0, beta=0.0)

# (name, low (h, w), resized (h, w), raw (h, w), K, thresholds, area limits (thing, stuff), seed)
# Padded size = 4 * (low - 1) + 1, as for the network's 32k+1 inputs.
CASES = [
    ("coco_shrink", (9, 9), (33, 25), (25, 19), 12, COCO, (40, 54), 1),
    ("cityscapes_identity", (9, 17), (30, 65), (30, 65), 16, CITYSCAPES, (67, 182), 2),
    ("coco_enlarge", (17, 17), (65, 49), (97, 73), 16, COCO, (150, 200), 3),
    ("all_void", (9, 9), (33, 33), (40, 40), 8, COCO, (0, 0), 4),
]

# Cluster k prefers class LABELS[k % 12] with margin STRENGTH[k % 12]; a margin of None makes
# two classes tie exactly (class confidence 0.5 with void far below), for the `>=` test.
LABELS = [0, 1, 2, 3, 3, 4, 5, 0, 1, 4, 5, 2]
STRENGTH = [6.0, 6.0, 5.0, 6.0, 6.0, None, 6.0, 1.0, 6.0, 6.0, 0.5, 2.5]


def softmax(x, axis):
    x = x.astype(np.float32)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def tf_bilinear_align_corners(x, out_h, out_w):
    """Legacy TF ResizeBilinear with align_corners=True on [H, W, K], float32 throughout."""

    def axis(in_size, out_size):
        scale = np.float32(in_size - 1) / np.float32(out_size - 1) if out_size > 1 else np.float32(0)
        src = np.arange(out_size, dtype=np.float32) * scale
        lower = np.floor(src)
        upper = np.minimum(np.ceil(src), in_size - 1)
        return lower.astype(np.int64), upper.astype(np.int64), (src - lower).astype(np.float32)

    y0, y1, yl = axis(x.shape[0], out_h)
    x0, x1, xl = axis(x.shape[1], out_w)
    xl = xl[None, :, None]
    top = x[y0][:, x0] + (x[y0][:, x1] - x[y0][:, x0]) * xl
    bottom = x[y1][:, x0] + (x[y1][:, x1] - x[y1][:, x0]) * xl
    return (top + (bottom - top) * yl[:, None, None]).astype(np.float32)


def tf_nearest_align_corners(x, out_h, out_w):
    """Legacy TF ResizeNearestNeighbor with align_corners=True: roundf(float32(i) * scale)."""

    def axis(in_size, out_size):
        scale = np.float32(in_size - 1) / np.float32(out_size - 1) if out_size > 1 else np.float32(in_size)
        src = np.arange(out_size, dtype=np.float32) * scale
        return np.minimum(np.floor(src.astype(np.float64) + 0.5).astype(np.int64), in_size - 1)

    return x[axis(x.shape[0], out_h)][:, axis(x.shape[1], out_w)]


def filter_by_count(index_map, limit):
    """deeplab2 keeps labels whose pixel count exceeds limit - 0.5."""
    counts = np.bincount(index_map.ravel())
    return index_map * (counts[index_map] > limit - 0.5)


def maskwise(class_logits, low_logits, padded, t, limits):
    """Spec 5.5 at the padded crop resolution: the deeplab2-encoded panoptic map and the order."""
    probs = softmax(class_logits, -1)[:, :-1]
    confidence, pred = probs.max(-1), probs.argmax(-1)
    low_probs = softmax(low_logits, -1).reshape(-1, low_logits.shape[-1])
    detected = (low_probs > np.float32(t["pixel"])).astype(np.float32)
    counts = detected.sum(0)
    sums = (low_probs * detected).sum(0)
    mask_score = np.where(counts > 0, sums / np.maximum(counts, 1), 0).astype(np.float32)
    reorder = (confidence ** np.float32(t["alpha"])) * (mask_score ** np.float32(t["beta"]))
    order = np.argsort(-reorder, kind="stable")

    up = tf_bilinear_align_corners(low_logits, *padded)
    binary = softmax(up, -1) > np.float32(t["pixel"])
    canvas = np.zeros(padded, np.int64)  # rank + 1 of the pasting cluster, 0 = free
    pasted = []
    for rank, k in enumerate(order):
        thing = pred[k] in THINGS
        threshold = np.float32(t["thing"] if thing else t["stuff"])
        if not confidence[k] >= threshold:
            continue
        new = binary[..., k] & (canvas == 0)
        if not np.float32(new.sum()) > np.float32(binary[..., k].sum()) * np.float32(t["overlap"]):
            continue
        canvas[new] = rank + 1
        pasted.append(int(k))

    occupied = canvas > 0
    cluster = order[np.maximum(canvas - 1, 0)]
    semantic = pred[cluster]
    is_thing = np.isin(semantic, list(THINGS)) & occupied
    is_stuff = ~np.isin(semantic, list(THINGS)) & occupied
    thing_ids = filter_by_count(canvas * is_thing, limits[0])
    stuff_semantic = filter_by_count((semantic + 1) * is_stuff, limits[1])
    thing_semantic = (semantic + 1) * is_thing * (thing_ids > 0)
    semantic_new = thing_semantic + stuff_semantic - 1
    semantic_new[semantic_new < 0] = VOID
    panoptic = semantic_new * LABEL_DIVISOR + thing_ids
    stuff_seen = [int(pred[k]) for k in pasted if pred[k] not in THINGS]
    stats = {
        "pasted": len(pasted),
        "stuffMerges": len(stuff_seen) - len(set(stuff_seen)),
        "thingsRemoved": sum(1 for r, k in enumerate(order) if k in pasted and pred[k] in THINGS
                             and not (thing_ids == r + 1).any()),
        "stuffRemoved": sum(1 for c in set(stuff_seen) if not (stuff_semantic == c + 1).any()),
        "tiesAccepted": sum(1 for k in pasted if confidence[k] == np.float32(t["thing"] if pred[k] in THINGS else t["stuff"])),
    }
    return panoptic, order, pasted, confidence, pred, up, stats


def engine_form(raw_panoptic, order, pasted, confidence, pred):
    """Renames deeplab2 labels to segments 1..n ordered by their first pasted cluster."""
    rank = {int(k): r for r, k in enumerate(order)}
    segments = []
    for value in np.unique(raw_panoptic):
        label, instance = divmod(int(value), LABEL_DIVISOR)
        if label == VOID:
            continue
        first = int(order[instance - 1]) if instance > 0 else next(k for k in pasted if pred[k] == label)
        segments.append({"value": int(value), "classId": label, "cluster": first, "isThing": label in THINGS})
    segments.sort(key=lambda s: rank[s["cluster"]])
    ids = np.zeros(raw_panoptic.shape, np.int32)
    for i, s in enumerate(segments):
        where = raw_panoptic == s.pop("value")
        ids[where] = i + 1
        s.update(id=i + 1, score=float(confidence[s["cluster"]]), area=int(where.sum()))
    return ids, segments


def class_logits_for(k, rng):
    logits = (rng.standard_normal((k, NUM_CLASSES + 1)) * 0.5).astype(np.float32)
    for c in range(k):
        label, strength = LABELS[c % 12], STRENGTH[c % 12]
        if strength is None:
            # Confidence exactly 0.5: two stuff classes tie, void and the rest far below.
            logits[c] = -100.0
            logits[c, label] = logits[c, label + 1] = 0.0
        else:
            logits[c, label] += strength
    return logits


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"things": sorted(THINGS), "numClasses": NUM_CLASSES, "cases": []}
    for name, low, resized, raw, k, t, limits, seed in CASES:
        rng = np.random.default_rng(seed)
        class_logits = class_logits_for(k, rng)
        if name == "all_void":
            class_logits = np.zeros((k, NUM_CLASSES + 1), np.float32)  # confidence 1/7 everywhere
        elif t["beta"] == 0:
            class_logits[3] = class_logits[0]  # an exact re-order tie: the stable sort keeps 0 first
        low_logits = (rng.standard_normal((*low, k)) * 4.0).astype(np.float32)
        padded = (4 * (low[0] - 1) + 1, 4 * (low[1] - 1) + 1)
        panoptic, order, pasted, confidence, pred, up, stats = maskwise(class_logits, low_logits, padded, t, limits)
        raw_panoptic = tf_nearest_align_corners(panoptic[: resized[0], : resized[1]], *raw)
        ids, segments = engine_form(raw_panoptic, order, pasted, confidence, pred)
        # Semantic: the pixelwise pass with zero thresholds (argmax over K, then its class).
        semantic = pred[up.argmax(-1)]
        raw_semantic = tf_nearest_align_corners(semantic[: resized[0], : resized[1]], *raw).astype(np.int32)

        class_logits.tofile(os.path.join(OUT, f"{name}.class_logits.bin"))
        low_logits.tofile(os.path.join(OUT, f"{name}.mask_logits.bin"))  # engine layout [h4, w4, K]
        ids.tofile(os.path.join(OUT, f"{name}.panoptic.bin"))
        raw_semantic.tofile(os.path.join(OUT, f"{name}.semantic.bin"))
        manifest["cases"].append({
            "name": name, "numClusters": k, "low": list(low), "padded": list(padded), "resized": list(resized),
            "raw": list(raw), "thresholds": t, "areaLimits": list(limits), "order": order.tolist(),
            "stats": stats, "segments": segments,
        })
        print(name, "segments", len(segments), stats)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
