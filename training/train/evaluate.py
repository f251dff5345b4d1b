"""PQ of a run's latest weights on held-out scenes, under every attention mode.

    /usr/bin/python3 -m training.train.evaluate --config training/configs/demo.json --run-dir training/runs/demo \
        [--images 200] [--image-size 257]

Writes RUN_DIR/eval[-SIZE].json. The held-out seed (config `test_data_seed`) is used for no
training scene and no choice; validation during training uses `val_data_seed`.
"""

import argparse
import json
import os

import torch

from training.kmax_ref import ATTENTION_MODES
from training.synthetic.classes import CLASSES

from .loop import Run, format_pq, load_config

def evaluate_and_log(run: Run, images: int, image_size=None) -> dict:
    size = image_size or run.config["model_config"]["inputSize"][0]
    results = {}
    seed = run.config["test_data_seed"]
    for attention in ATTENTION_MODES:
        results[attention] = run.evaluate(images, seed=seed, attention=attention, image_size=size)
        run.log(f"eval step {run.step}, {attention} attention, {images} held-out {size}px images: " + format_pq(results[attention]))
        per_class = results[attention]["per_class"]
        run.log("  per class PQ: " + " ".join(f"{CLASSES[k]['name']}={v['pq']:.3f}" for k, v in sorted(per_class.items())))
    suffix = "" if size == run.config["model_config"]["inputSize"][0] else f"-{size}"
    with open(os.path.join(run.run_dir, f"eval{suffix}.json"), "w") as f:
        json.dump({"step": run.step, "images": images, "image_size": size, "seed": seed, **results}, f, indent=1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--image-size", type=int, default=None, help="render scenes at this size (default: the model input)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run = Run(load_config(args.config), args.run_dir, "cuda" if torch.cuda.is_available() else "cpu")
    evaluate_and_log(run, args.images, args.image_size)


if __name__ == "__main__":
    main()
