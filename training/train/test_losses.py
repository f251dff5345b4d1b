"""Hand-computed cases for losses.py and the CPU gradient fix in loop.py.

    /usr/bin/python3 -m training.train.test_losses
"""

import math
import sys
import tempfile

import torch

from .data import render_batch
from .loop import Run, load_config
from .losses import LossWeights, kmax_loss, prediction_loss

WEIGHTS = LossWeights(sampled_pixels=64)
BIG = 20.0


def two_segment_target():
    """4x4 labels at stride 4: left half class 0 (a thing), right half class 2 (stuff)."""
    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[0, :, :2] = True
    masks[1, :, 2:] = True
    return {"labels": torch.tensor([0, 2]), "masks": masks}


def prediction(class_logits, mask_logits):
    features = torch.nn.functional.normalize(torch.randn(1, 8, 4, 4), dim=1)
    return {"pred_logits": class_logits[None], "pred_masks": mask_logits[None], "pixel_feature": features}


def test_perfect_prediction() -> None:
    """Clusters 1 and 3 own the two segments with the right classes: dice 1, class prob 1."""
    target = two_segment_target()
    class_logits = torch.zeros(4, 4)  # 3 classes + void
    class_logits[:, 3] = BIG  # unmatched clusters: void
    class_logits[1] = torch.tensor([BIG, 0, 0, 0])
    class_logits[3] = torch.tensor([0, 0, BIG, 0])
    mask_logits = torch.zeros(4, 4, 4)
    mask_logits[1][target["masks"][0]] = BIG
    mask_logits[3][target["masks"][1]] = BIG
    terms = prediction_loss(prediction(class_logits, mask_logits), [target], WEIGHTS, torch.Generator().manual_seed(0))
    # dice = (2*8 + 1) / (8 + 8 + 1) = 1 with the +1 smoothing.
    assert abs(terms["pq_mask"] + 1) < 1e-4, terms["pq_mask"]
    assert terms["pq_class"] < 1e-4, terms["pq_class"]
    assert terms["mask_id"] < 1e-4, terms["mask_id"]


def test_class_weights() -> None:
    """Uniform predictions: every CE is log(4); the matched ones weigh alpha*dice, the two
    unmatched void_class*(1-alpha), averaged over the four non-zero weights."""
    target = two_segment_target()
    terms = prediction_loss(prediction(torch.zeros(4, 4), torch.zeros(4, 4, 4)), [target], WEIGHTS,
                            torch.Generator().manual_seed(0))
    dice = (2 * 8 * 0.25 + 1) / (16 * 0.25 + 8 + 1)  # a uniform mask: 1/4 of every pixel
    expected = math.log(4) * (2 * WEIGHTS.class_alpha * dice + 2 * (1 - WEIGHTS.class_alpha)) / 4
    assert abs(terms["pq_class"] - expected) < 1e-5, (terms["pq_class"], expected)
    assert abs(terms["pq_mask"] + 0.25 * dice) < 1e-5, terms["pq_mask"]  # p(class) = 1/4


def test_gradients_are_deterministic() -> None:
    """With oneDNN the backward pass of this network returned norms from 1e4 to inf that
    differed between identical calls; the native kernels give the same finite norm twice."""
    config = load_config("training/configs/demo.json")
    images, targets, _ = render_batch(config["train_data_seed"], 0, 2, config["model_config"]["inputSize"][0])
    with tempfile.TemporaryDirectory() as run_dir:
        run = Run(config, run_dir, "cpu")
    run.model.train()
    norms = []
    for _ in range(2):
        torch.manual_seed(0)  # the semantic head's dropout
        run.model.zero_grad()
        outputs = run.model(images)
        kmax_loss(outputs, targets, run.weights, torch.Generator().manual_seed(0))["total"].backward()
        norms.append(float(torch.cat([p.grad.flatten() for p in run.model.parameters() if p.grad is not None]).norm()))
    assert math.isfinite(norms[0]) and norms[0] < 1e4, norms
    assert norms[0] == norms[1], norms
    assert run.model.sem_seg_head.predictor._cluster_centers.weight.grad.abs().sum() > 0


def main() -> int:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for test in (test_perfect_prediction, test_class_weights, test_gradients_are_deterministic):
        test()
        print(f"ok {test.__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
