"""PT pre/post-processing (spec 2.1, 5.1, 5.2) on hand-made inputs."""
import sys
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from kmax_ref.postprocess import crop_size, masks_to_original, panoptic_inference, semantic_inference  # noqa: E402
from kmax_ref.preprocess import preprocess, resize_shortest_edge_size  # noqa: E402

PP = {'pixelThreshold': 0.4, 'classThresholdThing': 0.7, 'classThresholdStuff': 0.5, 'overlapThreshold': 0.8,
      'reorderClassWeight': 1.0, 'reorderMaskWeight': 1.0}


class Geometry(unittest.TestCase):
    def test_resize_sizes(self):
        self.assertEqual(resize_shortest_edge_size(480, 640, 1281, 1281), (961, 1281))  # spec 2.1 example
        self.assertEqual(resize_shortest_edge_size(1024, 2048, 1025, 2049), (1025, 2049))
        self.assertEqual(resize_shortest_edge_size(96, 150, 65, 97), (62, 97))

    def test_crop_uses_round_half_even(self):
        self.assertEqual(crop_size((1025, 2049), (1024, 2048)), (1024, 2049))  # T25: one row off the resize
        self.assertEqual(crop_size((1281, 1281), (480, 640)), (961, 1281))
        self.assertEqual(crop_size((5, 5), (2, 4)), (2, 5))   # 2 * 1.25 = 2.5 -> 2 (half to even)

    def test_normalise_and_pad(self):
        image = np.zeros((96, 150, 3), np.uint8)
        image[:, :75] = 255
        x = preprocess(image, (65, 97))
        self.assertEqual(tuple(x.shape), (1, 3, 65, 97))
        self.assertEqual(float(x[0, 0, 10, 5]), 1.0)
        self.assertEqual(float(x[0, 0, 10, 90]), -1.0)
        self.assertTrue(torch.all(x[0, :, 62:] == 0))  # padding is 0 after normalising (T27)

    def test_masks_to_original_align_corners_for_odd_width(self):
        logits = torch.randn(2, 17, 25)
        out = masks_to_original(logits, (65, 97), (65, 97))
        torch.testing.assert_close(out[:, 0, 0], logits[:, 0, 0])
        torch.testing.assert_close(out[:, 64, 96], logits[:, 16, 24])
        self.assertEqual(tuple(masks_to_original(logits, (65, 97), (96, 150)).shape), (2, 96, 150))


def class_logits(rows):
    """rows: (class index, strength) -> [K, C+1] logits, C = 3."""
    logits = torch.full((len(rows), 4), -10.0)
    for k, (label, strength) in enumerate(rows):
        logits[k, label] = strength
    return logits


class Panoptic(unittest.TestCase):
    def test_thresholds_merging_and_ids(self):
        things = {0}
        # 2 x 4 image. Cluster 0: thing (class 0), left half. Clusters 1, 2: stuff class 2, top-right
        # and bottom-right -> merged. Cluster 3: confident but its pixels overlap cluster 0 -> rejected.
        # Cluster 4: class confidence below threshold.
        masks = torch.full((5, 2, 4), -20.0)
        masks[0, :, :2] = 20
        masks[1, 0, 2:] = 20
        masks[2, 1, 2:] = 20
        masks[3, :, 0] = 19.9
        masks[4, 0, 3] = 19.0
        logits = class_logits([(0, 20), (2, 15), (2, 10), (1, 20), (1, -5)])
        pan, segments = panoptic_inference(logits, masks, things, PP)
        self.assertEqual(pan.dtype, torch.int32)
        # Cluster 3 halves cluster 0's mask confidence in column 0, so the stuff clusters are
        # pasted first: ids follow acceptance order, the second stuff mask reuses id 1.
        self.assertEqual(pan.tolist(), [[2, 2, 1, 1], [2, 2, 1, 1]])
        self.assertEqual([(s['id'], s['category_id'], s['isthing'], s['area']) for s in segments],
                         [(1, 2, False, 4), (2, 0, True, 4)])

    def test_strictly_greater_class_threshold(self):
        masks = torch.full((1, 1, 2), 5.0)
        # P(class 0) == 0.5 exactly: two equal logits -> not > 0.5 for stuff threshold 0.5.
        logits = torch.tensor([[3.0, -1e4, 3.0 - 1e4, 3.0]])
        pan, segments = panoptic_inference(logits, masks, set(), PP)
        self.assertEqual(segments, [])
        self.assertEqual(pan.tolist(), [[0, 0]])

    def test_semantic(self):
        masks = torch.tensor([[[9.0, -9.0]], [[-9.0, 9.0]]])
        logits = class_logits([(2, 9), (1, 9)])
        self.assertEqual(semantic_inference(logits, masks).tolist(), [[2, 1]])


if __name__ == '__main__':
    unittest.main()
