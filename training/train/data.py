"""Batches of synthetic scenes for training and validation, rendered on the fly from seeds.

Scene i of a stream with seed S is `scene_seed(S, i)` (the same numbering the dataset
writer uses), so a training run sees a reproducible, effectively unlimited dataset.
"""

import json
import os

import numpy as np
import torch
from PIL import Image

from training.synthetic.generate import rgb_to_id, scene_seed
from training.synthetic.scene import render_scene

# Stride of the mask logits; with 32k+1 inputs feature pixel i sits on input pixel 4i (spec 1.3).
MASK_STRIDE = 4


def normalise(images: np.ndarray) -> torch.Tensor:
    """[B,H,W,3] uint8 RGB -> [B,3,H,W] float, (x - 127.5) / 127.5 (spec 2)."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().sub(127.5).div(127.5)


def resize_image(image: np.ndarray, size: int) -> np.ndarray:
    """PIL bilinear on uint8, as PT's test-time resize (spec 2.1)."""
    return np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))


def mask_targets(panoptic: np.ndarray, segments: list) -> dict:
    """Stride-4 binary masks of the segments (sampled at input pixels 4i, matching align-corners)."""
    sampled = panoptic[::MASK_STRIDE, ::MASK_STRIDE]
    masks = np.stack([sampled == s["id"] for s in segments])
    present = masks.reshape(len(segments), -1).any(1)
    return {
        "labels": torch.tensor([s["category_id"] for s, p in zip(segments, present) if p], dtype=torch.long),
        "masks": torch.from_numpy(masks[present]),
    }


def render_batch(seed: int, first: int, count: int, size: int):
    """Scenes first..first+count-1 -> (images [B,3,H,W], stride-4 targets, full-size scenes)."""
    scenes = [render_scene(scene_seed(seed, first + i), size) for i in range(count)]
    images = normalise(np.stack([s.image for s in scenes]))
    targets = [mask_targets(s.panoptic, s.segments) for s in scenes]
    return images, targets, scenes


def load_coco_panoptic(directory: str, category_index: dict) -> list:
    """Read a dataset written by training.synthetic.generate (or any COCO panoptic folder).

    category_index maps the JSON category ids to contiguous class ids.
    Returns [(image [H,W,3] uint8, panoptic ids [H,W] int32, segments with contiguous ids)].
    """
    with open(os.path.join(directory, "panoptic.json")) as f:
        dataset = json.load(f)
    file_of = {im["id"]: im["file_name"] for im in dataset["images"]}
    samples = []
    for annotation in dataset["annotations"]:
        image = np.asarray(Image.open(os.path.join(directory, "images", file_of[annotation["image_id"]])).convert("RGB"))
        panoptic = rgb_to_id(np.asarray(Image.open(os.path.join(directory, "panoptic", annotation["file_name"]))))
        segments = [
            {"id": s["id"], "category_id": category_index[s["category_id"]], "iscrowd": s["iscrowd"]}
            for s in annotation["segments_info"]
        ]
        samples.append((image, panoptic.astype(np.int32), segments))
    return samples
