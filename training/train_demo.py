"""Train the synthetic-panoptic demo model.

    /usr/bin/python3 -m training.train_demo --config training/configs/demo.json --run-dir training/runs/demo --threads 1

Re-running the same command resumes from RUN_DIR/last.pt, bit for bit (with the same OpenBLAS
kernels: the log's blas=, pinned by OPENBLAS_CORETYPE; see training/train/blas.py); --seed and
--train-data-seed retrain the same recipe from another draw; --attention trains every kMaX layer
with another cross-attention (the argmax of kMaX by default). At the end it writes RUN_DIR/model_final.pth
({'model': state_dict}, the official layout `kmax convert` reads) and logs the validation PQ.
"""

import argparse
import time

import torch

from training.kmax_ref import ATTENTION_MODES

from training.train.blas import blas_core
from training.train.evaluate import evaluate_and_log
from training.train.loop import Run, load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-images", type=int, default=200, help="held-out images for the final PQ")
    parser.add_argument("--attention", choices=ATTENTION_MODES, help="override the config's attention (default kmeans)")
    parser.add_argument("--seed", type=int, help="override the config's seed (initialisation, loss sampling)")
    parser.add_argument("--train-data-seed", type=int, help="override the config's training scene stream")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    config = load_config(args.config)
    for key, value in (("seed", args.seed), ("train_data_seed", args.train_data_seed), ("attention", args.attention)):
        if value is not None:
            config[key] = value
    run = Run(config, args.run_dir, args.device)
    start = time.time()
    run.log(f"device={args.device} threads={args.threads} blas={blas_core()} attention={run.attention} params={sum(p.numel() for p in run.model.parameters())}")
    run.train()
    if run.config.get("bn_recalibration_batches", 0) and not run.bn_recalibrated:
        run.recalibrate_batch_norm(run.config["bn_recalibration_batches"])
        run.save()
    run.log(f"official checkpoint: {run.save_official()}")
    evaluate_and_log(run, args.eval_images)
    run.log(f"wall time this invocation {time.time() - start:.0f}s, training compute total {run.elapsed:.0f}s")


if __name__ == "__main__":
    main()
