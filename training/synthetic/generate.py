"""Write N synthetic scenes as a COCO panoptic dataset.

    /usr/bin/python3 -m training.synthetic.generate --out DIR --num N --seed S --size 257

DIR/images/*.png (RGB), DIR/panoptic/*.png (id = R + 256 G + 256^2 B),
DIR/panoptic.json (categories, images, annotations with segments_info) and
DIR/classes.json (the app's class list entry for 'synthetic_panoptic').
Image i of seed S is scene seed `scene_seed(S, i)`, so any subset can be re-rendered alone.
"""

import argparse
import json
import os

import numpy as np
from PIL import Image

from .classes import CLASSES, dataset_entry
from .scene import render_scene


def scene_seed(seed: int, index: int) -> int:
    return (seed * 1_000_003 + index) % (2**31 - 1)


def id_to_rgb(panoptic: np.ndarray) -> np.ndarray:
    ids = panoptic.astype(np.uint32)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], -1).astype(np.uint8)


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]


def segment_info(panoptic: np.ndarray, segment: dict) -> dict:
    ys, xs = np.nonzero(panoptic == segment["id"])
    x0, y0 = int(xs.min()), int(ys.min())
    return {
        "id": segment["id"],
        "category_id": CLASSES[segment["category_id"]]["dataset_id"],
        "area": int(len(xs)),
        "bbox": [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
        "iscrowd": segment["iscrowd"],
    }


def categories() -> list:
    return [
        {"id": c["dataset_id"], "name": c["name"], "isthing": int(c["isthing"]), "color": c["color"]}
        for c in CLASSES
    ]


def write_dataset(out: str, num: int, seed: int, size: int, images_dir: str = "images", file_name=lambda i: f"{i:06d}.png") -> None:
    """images_dir (relative to out) and file_name(i) let the app's sample folder hold its pictures at the top."""
    os.makedirs(os.path.join(out, images_dir), exist_ok=True)
    os.makedirs(os.path.join(out, "panoptic"), exist_ok=True)
    images, annotations = [], []
    for i in range(num):
        scene = render_scene(scene_seed(seed, i), size)
        name = file_name(i)
        Image.fromarray(scene.image).save(os.path.join(out, images_dir, name))
        Image.fromarray(id_to_rgb(scene.panoptic)).save(os.path.join(out, "panoptic", name))
        images.append({"id": i, "file_name": name, "width": size, "height": size})
        annotations.append(
            {
                "image_id": i,
                "file_name": name,
                "segments_info": [segment_info(scene.panoptic, s) for s in scene.segments],
            }
        )
    with open(os.path.join(out, "panoptic.json"), "w") as f:
        json.dump({"categories": categories(), "images": images, "annotations": annotations}, f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--num", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--size", type=int, default=257)
    args = parser.parse_args()
    write_dataset(args.out, args.num, args.seed, args.size)
    with open(os.path.join(args.out, "classes.json"), "w") as f:
        json.dump({"synthetic_panoptic": dataset_entry()}, f, indent=1)


if __name__ == "__main__":
    main()
