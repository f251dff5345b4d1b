"""Overfit test of the loss and matching: a few fixed scenes, many steps, then PQ on them.

    nice -n 10 /usr/bin/python3 -m training.train.overfit --config training/configs/demo.json \
        [--images 8] [--steps 400] [--lr 1e-3]

If things do not end up in distinct clusters with near-perfect PQ on the training scenes
themselves, the loss or the matching is wrong (not the data or the schedule).
"""

import argparse
import tempfile
import time

import torch

from training.synthetic.classes import CLASSES, THING_IDS

from .data import render_batch
from .loop import Run, format_pq, load_config
from .matcher import dice_matrix, hungarian_match
from .postprocess import panoptic_inference
from .pq import PQStat


@torch.no_grad()
def fixed_batch_pq(run: Run, images, scenes, attention: str, batch_stats: bool) -> dict:
    """PQ on the training scenes; batch_stats keeps BN in training mode (no running-stat lag)."""
    run.model.train(batch_stats)
    outputs = run.model(images, attention)
    size = images.shape[-1]
    stat = PQStat()
    for b, scene in enumerate(scenes):
        pan, segments = panoptic_inference(outputs["pred_logits"][b], outputs["pred_masks"][b], (size, size),
                                           THING_IDS, run.config["model_config"]["postprocess"])
        stat.add_image(scene.panoptic, scene.segments, pan, segments)
    return stat.summary([{"id": c["id"], "isthing": c["isthing"]} for c in CLASSES])


@torch.no_grad()
def thing_diagnostics(run: Run, images, targets) -> str:
    """Final prediction, BN in training mode: for ground-truth things, the mean matched dice,
    the matched cluster's probability of the right class, and how many distinct argmax
    clusters own their pixels per thing (1.0 = one cluster per object)."""
    run.model.train()
    outputs = run.model(images)
    dice, prob, owners = [], [], []
    for b, target in enumerate(targets):
        masks = target["masks"].flatten(1).float()
        probs = outputs["pred_logits"][b].softmax(-1)
        mask_probs = outputs["pred_masks"][b].flatten(1).softmax(0)
        pred_idx, gt_idx = hungarian_match(probs, mask_probs, target["labels"], masks)
        matched_dice = dice_matrix(mask_probs[pred_idx], masks[gt_idx]).diagonal()
        owner = mask_probs.argmax(0)
        things = [i for i, n in enumerate(gt_idx.tolist()) if int(target["labels"][n]) in THING_IDS]
        dice += [float(matched_dice[i]) for i in things]
        prob += [float(probs[pred_idx[i], target["labels"][gt_idx[i]]]) for i in things]
        thing_owner = {int(owner[masks[gt_idx[i]] > 0].mode().values) for i in things}
        owners.append(len(thing_owner) / max(1, len(things)))
    mean = lambda xs: sum(xs) / max(1, len(xs))  # noqa: E731
    return f"things: matched dice {mean(dice):.3f}, class prob {mean(prob):.3f}, distinct owner clusters per thing {mean(owners):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report-every", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    config = load_config(args.config)
    config.update(steps=args.steps, optimizer={**config["optimizer"], "lr": args.lr})
    config["schedule"]["warmup_steps"] = min(config["schedule"]["warmup_steps"], args.steps // 10)
    size = config["model_config"]["inputSize"][0]
    images, targets, scenes = render_batch(config["train_data_seed"], 0, args.images, size)
    with tempfile.TemporaryDirectory() as run_dir:
        run = Run(config, run_dir, "cpu")
        start = time.time()
        while run.step < args.steps:
            losses = run.train_step(images, targets)
            if run.step % 20 == 0:
                print(f"step {run.step} " + " ".join(f"{k}={v:.3f}" for k, v in losses.items()), flush=True)
            if run.step % args.report_every == 0 or run.step == args.steps:
                print("  " + thing_diagnostics(run, images, targets), flush=True)
                for attention in ("kmeans", "softmax"):
                    for batch_stats in (False, True):
                        result = fixed_batch_pq(run, images, scenes, attention, batch_stats)
                        bn = "batch-stat BN" if batch_stats else "running BN"
                        print(f"  [{time.time() - start:.0f}s] {attention}, {bn}: {format_pq(result)}", flush=True)


if __name__ == "__main__":
    main()
