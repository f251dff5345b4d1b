"""Convert the trained demo checkpoint into the app's model folder with the project's converter.

    /usr/bin/python3 -m training.export_demo --checkpoint training/runs/demo/model_final.pth --out models/demo --attention kmeans

Runs `kmax convert CHECKPOINT --out DIR --fp16 [--trained-attention MODE]`, which must recognise the demo architecture
from the weights alone (configs/demo-model.json is one of the converter's presets, as a dropped
file in the app would be), records the attention the checkpoint was trained with (--attention, the
one given to train_demo; without it model.json says nothing, and the app marks no mode "as
trained"), checks the folder stays within the 20 MB budget and
copies the run's training curve (RUN_DIR/curve.json, validation PQ and each layer's covering
every few hundred steps) to OUT/training-curve.json for the app's curves plot, writes a few scenes the model never saw (seed SAMPLE_SEED) into OUT/samples/: the pictures
as PNGs at the top (the app lists them) and their ground truth in COCO panoptic format
(panoptic.json, panoptic/), which the layer-convergence test compares the layers with. They are
rendered at the model's input size, as in training: the same kind of scene rendered at 257 px and
resized to 129 has other texture statistics: the first demo model scored PQ 59.9 on such scenes against 80.9.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from training.kmax_ref import ATTENTION_MODES
from training.synthetic.generate import write_dataset

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODEL_CONFIG = os.path.join(HERE, "configs", "demo-model.json")
BUDGET_BYTES = 20 * 1024 * 1024
# None of the streams of configs/demo.json: training (2), validation (9), held-out (7).
SAMPLE_SEED = 11


def folder_bytes(directory: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(directory) for f in files)


def write_samples(directory: str, count: int, size: int) -> None:
    write_dataset(directory, count, SAMPLE_SEED, size, images_dir=".", file_name=lambda i: f"synthetic-{i + 1}.png")


def written_config(model_dir: str) -> dict:
    with open(os.path.join(model_dir, "model.json")) as f:
        return json.load(f)["config"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=os.path.join(HERE, "runs", "demo", "model_final.pth"))
    parser.add_argument("--out", default=os.path.join(ROOT, "models", "demo"))
    parser.add_argument("--float32", action="store_true", help="store float32 instead of float16")
    parser.add_argument("--samples", type=int, default=6,
                        help="sample images for the app (0: none; the app then shows those of another model of the same dataset)")
    parser.add_argument("--curve", help="the run's curve.json (default: next to the checkpoint, if there)")
    parser.add_argument("--attention", choices=ATTENTION_MODES,
                        help="the cross-attention the checkpoint was trained with, recorded in model.json")
    args = parser.parse_args()
    with open(MODEL_CONFIG) as f:
        config = json.load(f)
    command = ["node", os.path.join(ROOT, "bin", "kmax.mjs"), "convert", args.checkpoint, "--out", args.out]
    if not args.float32:
        command.append("--fp16")
    if args.attention is not None:
        command += ["--trained-attention", args.attention]
    subprocess.run(command, cwd=ROOT, check=True)
    if written_config(args.out) != config:
        print(f"FAIL: the converter did not detect {MODEL_CONFIG} from the weights")
        return 1
    curve = args.curve or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), "curve.json")
    if os.path.exists(curve):
        shutil.copyfile(curve, os.path.join(args.out, "training-curve.json"))
    elif args.curve is not None:
        print(f"FAIL: no training curve at {curve}")
        return 1
    if args.samples > 0:
        write_samples(os.path.join(args.out, "samples"), args.samples, config["inputSize"][0])
    size = folder_bytes(args.out)
    print(f"{args.out}: {size / 1e6:.2f} MB")
    if size > BUDGET_BYTES:
        print(f"FAIL: over the {BUDGET_BYTES / 1e6:.0f} MB budget")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
