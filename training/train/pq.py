"""Panoptic quality as the COCO panoptic evaluation (panopticapi pq_compute) defines it.

Mirrors src/eval/panoptic-quality.ts; used during training for quick validation.
Segments are dicts {'id', 'category_id', 'iscrowd' (ground truth only)}; id 0 is void.
"""

from collections import defaultdict

import numpy as np

_OFFSET = 1 << 20  # larger than any segment id


class PQStat:
    """Per-category TP/FP/FN counts and summed IoU of the matched pairs."""

    def __init__(self):
        self.iou = defaultdict(float)
        self.tp = defaultdict(int)
        self.fp = defaultdict(int)
        self.fn = defaultdict(int)

    def add_image(self, gt_map, gt_segments, pred_map, pred_segments):
        gt = {s["id"]: s for s in gt_segments}
        pred = {s["id"]: s for s in pred_segments}
        # Ids without a segment are void (0), on both sides.
        gt_map = np.where(np.isin(gt_map, list(gt)), gt_map, 0).astype(np.int64)
        pred_map = np.where(np.isin(pred_map, list(pred)), pred_map, 0).astype(np.int64)
        pairs, counts = np.unique(gt_map * _OFFSET + pred_map, return_counts=True)
        overlap = {(int(p // _OFFSET), int(p % _OFFSET)): int(n) for p, n in zip(pairs, counts)}
        gt_area = defaultdict(int)
        pred_area = defaultdict(int)
        for (g, p), n in overlap.items():
            gt_area[g] += n
            pred_area[p] += n

        matched_gt, matched_pred = set(), set()
        for (g, p), n in overlap.items():
            if g not in gt or p not in pred or gt[g]["iscrowd"]:
                continue
            if gt[g]["category_id"] != pred[p]["category_id"]:
                continue
            # Pixels of the prediction that fall on void are left out of the union.
            union = pred_area[p] + gt_area[g] - n - overlap.get((0, p), 0)
            iou = n / union
            if iou > 0.5:
                category = gt[g]["category_id"]
                self.tp[category] += 1
                self.iou[category] += iou
                matched_gt.add(g)
                matched_pred.add(p)

        crowd_of = {}
        for g, s in gt.items():
            if s["iscrowd"]:
                crowd_of[s["category_id"]] = g
            elif g not in matched_gt:
                self.fn[s["category_id"]] += 1

        for p, s in pred.items():
            if p in matched_pred or pred_area[p] == 0:
                continue
            ignored = overlap.get((0, p), 0)
            if s["category_id"] in crowd_of:
                ignored += overlap.get((crowd_of[s["category_id"]], p), 0)
            if ignored / pred_area[p] > 0.5:
                continue
            self.fp[s["category_id"]] += 1

    def summary(self, categories):
        """categories: [{'id', 'isthing'}]. Returns {'all'|'things'|'stuff': {pq,sq,rq,n}, 'per_class': {id: {pq,sq,rq}}}."""
        per_class = {}
        for c in categories:
            k = c["id"]
            tp, fp, fn = self.tp[k], self.fp[k], self.fn[k]
            if tp + fp + fn == 0:
                continue
            denominator = tp + 0.5 * fp + 0.5 * fn
            per_class[k] = {
                "pq": self.iou[k] / denominator,
                "sq": self.iou[k] / tp if tp else 0.0,
                "rq": tp / denominator,
            }
        result = {"per_class": per_class}
        for name, keep in (("all", lambda c: True), ("things", lambda c: c["isthing"]), ("stuff", lambda c: not c["isthing"])):
            rows = [per_class[c["id"]] for c in categories if keep(c) and c["id"] in per_class]
            result[name] = {m: float(np.mean([r[m] for r in rows])) if rows else 0.0 for m in ("pq", "sq", "rq")}
            result[name]["n"] = len(rows)
        return result
