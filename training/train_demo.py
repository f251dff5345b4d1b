"""Train the synthetic-panoptic demo model.

    nice -n 10 /usr/bin/python3 -m training.train_demo --config training/configs/demo.json --run-dir training/runs/demo

Re-running the same command resumes from RUN_DIR/last.pt. At the end it writes
RUN_DIR/model_final.pth ({'model': state_dict}, the official layout `kmax convert` reads)
and logs the validation PQ.
"""

import argparse
import time

import torch

from training.train.loop import Run, format_pq, load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-images", type=int, default=200, help="held-out images for the final PQ")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    run = Run(load_config(args.config), args.run_dir, args.device)
    start = time.time()
    run.log(f"device={args.device} threads={args.threads} params={sum(p.numel() for p in run.model.parameters())}")
    run.train()
    run.log(f"official checkpoint: {run.save_official()}")
    for attention in ("kmeans", "softmax"):
        result = run.evaluate(args.eval_images, attention=attention)
        run.log(f"final eval, {attention} attention, {args.eval_images} held-out images: " + format_pq(result))
    run.log(f"wall time this invocation {time.time() - start:.0f}s, training compute total {run.elapsed:.0f}s")


if __name__ == "__main__":
    main()
