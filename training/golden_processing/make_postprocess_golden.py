"""Golden data for src/segmenter/postprocess (PT path, spec 2.1 step 5 and 5.1-5.3).

Random class and stride-4 mask logits; the reference is a plain PyTorch transcription of
the spec: two F.interpolate steps (padded size, crop, original size, align_corners by
padded-width parity), softmax over K, panoptic pasting, semantic argmax, instances.
Run with /usr/bin/python3 (torch 1.13):

    /usr/bin/python3 training/golden_processing/make_postprocess_golden.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "postprocess")

COCO = dict(pixel=0.4, thing=0.7, stuff=0.5, overlap=0.8, alpha=1.0, beta=1.0)
CITYSCAPES = dict(pixel=0.4, thing=0.5, stuff=0.3, overlap=0.9, alpha=1.0, beta=0.0)

# Six classes: 0-2 things, 3-5 stuff.
THINGS = {0, 1, 2}
NUM_CLASSES = 6

# (name, padded (h, w), original (h, w), K, thresholds, seed)
CASES = [
    ("odd_enlarge", (33, 33), (25, 19), 12, COCO, 1),
    ("even_no_align", (32, 48), (30, 45), 12, CITYSCAPES, 2),
    ("odd_shrink", (41, 65), (60, 97), 16, COCO, 3),
]

# Cluster k prefers class LABELS[k % 12] with logit margin STRENGTH[k % 12]: repeated stuff
# labels exercise merging, weak margins the confidence thresholds.
LABELS = [0, 1, 2, 3, 3, 4, 5, 0, 1, 4, 5, 2]
STRENGTH = [6.0, 6.0, 5.0, 6.0, 6.0, 4.0, 6.0, 1.0, 6.0, 6.0, 0.5, 2.5]


def resize_logits(mask_logits, padded, original):
    """Spec 2.1 step 5 a-c on [K, h4, w4] logits."""
    height, width = original
    align = padded[1] % 2 == 1
    scale = max(padded) / max(height, width)
    crop_h, crop_w = round(height * scale), round(width * scale)
    x = F.interpolate(mask_logits[None], size=padded, mode="bilinear", align_corners=align)
    x = x[:, :, :crop_h, :crop_w]
    x = F.interpolate(x, size=original, mode="bilinear", align_corners=align)
    return x[0], (crop_h, crop_w)


def panoptic(class_logits, mask_logits, t):
    """Spec 5.1, written out directly."""
    scores, labels = F.softmax(class_logits, dim=-1)[:, :-1].max(-1)
    probs = F.softmax(mask_logits, dim=0)
    masks = probs > t["pixel"]
    counts = masks.flatten(1).float().sum(1)
    mean_prob = (probs * masks).flatten(1).sum(1) / torch.clamp(counts, min=1.0)
    reorder = scores ** t["alpha"] * mean_prob ** t["beta"]
    order = torch.argsort(reorder, descending=True)
    pan = torch.zeros(probs.shape[1:], dtype=torch.int32)
    segments, stuff, merges = [], {}, 0
    for k in order.tolist():
        label = int(labels[k])
        thing = label in THINGS
        if not scores[k].item() > (t["thing"] if thing else t["stuff"]):
            continue
        new = masks[k] & (pan == 0)
        if not new.float().sum() > counts[k] * t["overlap"]:
            continue
        if not thing and label in stuff:
            pan[new] = stuff[label]
            merges += 1
            continue
        seg_id = len(segments) + 1
        if not thing:
            stuff[label] = seg_id
        pan[new] = seg_id
        segments.append({"id": seg_id, "classId": label, "cluster": k, "isThing": thing, "score": float(scores[k])})
    for s in segments:
        s["area"] = int((pan == s["id"]).sum())
    return pan, segments, merges


def semantic(class_logits, mask_logits):
    pc = F.softmax(class_logits, dim=-1)[:, :-1]
    pm = F.softmax(mask_logits, dim=0)
    return torch.einsum("kc,khw->chw", pc, pm).argmax(0).int()


def instances(class_logits, mask_logits, t, top=100):
    pc = F.softmax(class_logits, dim=-1)[:, :-1]
    pm = F.softmax(mask_logits, dim=0)
    values, index = pc.flatten().topk(min(top, pc.numel()), sorted=True)
    result = []
    for v, i in zip(values.tolist(), index.tolist()):
        cluster, label = divmod(i, NUM_CLASSES)
        if label not in THINGS:
            continue
        mask = (pm[cluster] > t["pixel"]).float()
        mean = float((pm[cluster] * mask).sum() / (mask.sum() + 1e-6))
        result.append({"classId": label, "cluster": cluster, "score": v * mean, "area": int(mask.sum())})
    return result


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"torch": torch.__version__, "things": sorted(THINGS), "numClasses": NUM_CLASSES, "cases": []}
    for name, padded, original, k, t, seed in CASES:
        g = torch.Generator().manual_seed(seed)
        class_logits = torch.randn(k, NUM_CLASSES + 1, generator=g) * 0.5
        for c in range(k):
            class_logits[c, LABELS[c % 12]] += STRENGTH[c % 12]
        low = ((padded[0] + 3) // 4, (padded[1] + 3) // 4)
        mask_logits = torch.randn(k, *low, generator=g) * 3.0
        resized, crop = resize_logits(mask_logits, padded, original)
        pan, segments, merges = panoptic(class_logits, resized, t)
        sem = semantic(class_logits, resized)
        inst = instances(class_logits, resized, t)
        class_logits.numpy().astype(np.float32).tofile(os.path.join(OUT, f"{name}.class_logits.bin"))
        # Engine layout: [h4, w4, K].
        mask_logits.permute(1, 2, 0).contiguous().numpy().astype(np.float32).tofile(
            os.path.join(OUT, f"{name}.mask_logits.bin"))
        pan.numpy().astype(np.int32).tofile(os.path.join(OUT, f"{name}.panoptic.bin"))
        sem.numpy().astype(np.int32).tofile(os.path.join(OUT, f"{name}.semantic.bin"))
        manifest["cases"].append({
            "name": name, "numClusters": k, "low": list(low), "padded": list(padded), "original": list(original),
            "crop": list(crop), "thresholds": t, "stuffMerges": merges, "segments": segments, "instances": inst,
        })
        print(name, "segments", len(segments), "stuff merges", merges, "instances", len(inst))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
