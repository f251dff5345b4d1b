"""Hand-computed cases for pq.py (the same maps as src/eval/panoptic-quality.test.ts).

    /usr/bin/python3 -m training.train.test_pq
"""

import sys

import numpy as np

from .pq import PQStat

STUFF, DISC = 1, 2
CATEGORIES = [{"id": STUFF, "isthing": False}, {"id": DISC, "isthing": True}]
GT_SEGMENTS = [{"id": 1, "category_id": STUFF, "iscrowd": 0}, {"id": 2, "category_id": DISC, "iscrowd": 0}, {"id": 3, "category_id": DISC, "iscrowd": 0}]


def drawn(rows):
    """'.' is id 0, 'a'.. are ids 1.."""
    return np.array([[0 if ch == "." else ord(ch) - 96 for ch in row] for row in rows], np.int32)


def summary(gt, gt_segments, pred, pred_segments):
    stat = PQStat()
    stat.add_image(drawn(gt), gt_segments, drawn(pred), pred_segments)
    return stat, stat.summary(CATEGORIES)


def check(name, got, want):
    if abs(got - want) > 1e-12:
        print(f"FAIL {name}: {got} != {want}")
        return False
    return True


def main() -> int:
    gt = ["aaaa", "bbcc", "bbcc", "aaaa"]
    ok = True
    _, perfect = summary(gt, GT_SEGMENTS, ["eeee", "ffgg", "ffgg", "eeee"],
                         [{"id": 5, "category_id": STUFF}, {"id": 6, "category_id": DISC}, {"id": 7, "category_id": DISC}])
    ok &= check("perfect", perfect["all"]["pq"], 1.0)
    _, missed = summary(gt, GT_SEGMENTS, ["aaaa", "bbaa", "bbaa", "aaaa"], GT_SEGMENTS[:2])
    ok &= check("missed stuff", missed["per_class"][STUFF]["pq"], 8 / 12)
    ok &= check("missed disc", missed["per_class"][DISC]["pq"], 1 / 1.5)
    _, split = summary(gt, GT_SEGMENTS, ["aaaa", "bbcc", "bbcc", "aeee"], GT_SEGMENTS + [{"id": 5, "category_id": STUFF}])
    ok &= check("split", split["per_class"][STUFF]["pq"], 5 / 8 / 1.5)
    stat, _ = summary(["....", "bbcc", "bbcc", "aaaa"], GT_SEGMENTS, ["bbdd", "bbcc", "bbcc", "aaaa"],
                      GT_SEGMENTS + [{"id": 4, "category_id": DISC}])
    ok &= check("void tp", stat.tp[DISC], 2) and check("void fp", stat.fp[DISC], 0) and check("void iou", stat.iou[DISC], 2)
    crowd = [GT_SEGMENTS[0], GT_SEGMENTS[1], {"id": 3, "category_id": DISC, "iscrowd": 1}]
    stat, _ = summary(gt, crowd, ["aaee", "bbee", "bbee", "aaaa"], GT_SEGMENTS[:2] + [{"id": 5, "category_id": DISC}])
    ok &= check("crowd fp", stat.fp[DISC], 0) and check("crowd fn", stat.fn[DISC], 0) and check("crowd tp", stat.tp[DISC], 1)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
