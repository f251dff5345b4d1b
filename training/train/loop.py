"""The training loop: reproducible from a config file and a seed, resumable from its checkpoints.

A run directory holds log.txt, last.pt (model, optimiser, step: what resuming needs) and,
at the end, model_final.pth in the official layout {'model': state_dict}.
"""

import json
import math
import os
import time

import numpy as np
import torch

from training.synthetic.classes import CLASSES, THING_IDS
from training.kmax_ref import KMaXDeepLab

from .data import render_batch
from .losses import LossWeights, kmax_loss
from .postprocess import panoptic_inference
from .pq import PQStat


def load_config(path: str) -> dict:
    with open(path) as f:
        config = json.load(f)
    model_path = os.path.join(os.path.dirname(path), config["model"])
    with open(model_path) as f:
        config["model_config"] = json.load(f)
    return config


def learning_rate(config: dict, step: int) -> float:
    """Linear warm-up, then polynomial decay to 0 at the last step."""
    base = config["optimizer"]["lr"]
    warmup = config["schedule"]["warmup_steps"]
    if step < warmup:
        return base * (step + 1) / warmup
    progress = (step - warmup) / max(1, config["steps"] - warmup)
    return base * (1 - progress) ** config["schedule"]["poly_power"]


class Run:
    def __init__(self, config: dict, run_dir: str, device: str):
        self.config = config
        self.run_dir = run_dir
        self.device = torch.device(device)
        os.makedirs(run_dir, exist_ok=True)
        torch.manual_seed(config["seed"])
        np.random.seed(config["seed"])
        self.model = KMaXDeepLab(config["model_config"]).to(self.device)
        optim = config["optimizer"]
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=optim["lr"], betas=tuple(optim["betas"]), weight_decay=optim["weight_decay"]
        )
        self.weights = LossWeights(**config["loss"])
        self.generator = torch.Generator().manual_seed(config["seed"])
        self.step = 0
        self.elapsed = 0.0
        self._resume()

    def _checkpoint_path(self):
        return os.path.join(self.run_dir, "last.pt")

    def _resume(self):
        if not os.path.exists(self._checkpoint_path()):
            return
        state = torch.load(self._checkpoint_path(), map_location=self.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.step = state["step"]
        self.elapsed = state["elapsed"]
        self.log(f"resumed at step {self.step}")

    def save(self):
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "step": self.step,
            "elapsed": self.elapsed,
            "config": self.config,
        }
        torch.save(state, self._checkpoint_path() + ".tmp")
        os.replace(self._checkpoint_path() + ".tmp", self._checkpoint_path())

    def save_official(self, path=None):
        path = path or os.path.join(self.run_dir, "model_final.pth")
        torch.save({"model": self.model.state_dict()}, path)
        return path

    def log(self, message: str):
        line = f"[{time.strftime('%H:%M:%S')}] {message}"
        print(line, flush=True)
        with open(os.path.join(self.run_dir, "log.txt"), "a") as f:
            f.write(line + "\n")

    def train_step(self, images, targets) -> dict:
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.config, self.step)
        outputs = self.model(images.to(self.device))
        losses = kmax_loss(outputs, [{k: v.to(self.device) for k, v in t.items()} for t in targets], self.weights, self.generator)
        self.optimizer.zero_grad(set_to_none=True)
        losses["total"].backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config["optimizer"]["grad_clip"])
        self.optimizer.step()
        self.step += 1
        return {k: float(v) for k, v in losses.items()}

    def train(self, steps=None):
        config = self.config
        last = steps if steps is not None else config["steps"]
        batch = config["batch_size"]
        size = config["model_config"]["inputSize"][0]
        while self.step < last:
            start = time.time()
            images, targets, _ = render_batch(config["train_data_seed"], self.step * batch, batch, size)
            losses = self.train_step(images, targets)
            if not math.isfinite(losses["total"]):
                raise FloatingPointError(f"loss is {losses['total']} at step {self.step}")
            self.elapsed += time.time() - start
            if self.step % config["log_every"] == 0 or self.step == last:
                terms = " ".join(f"{k}={v:.4f}" for k, v in losses.items())
                self.log(f"step {self.step} lr={learning_rate(config, self.step - 1):.2e} {terms} elapsed={self.elapsed:.0f}s")
            if self.step % config["checkpoint_every"] == 0 or self.step == last:
                self.save()
            if self.step % config["eval_every"] == 0 or self.step == last:
                result = self.evaluate(config["eval_images"])
                self.log("eval " + format_pq(result))

    @torch.no_grad()
    def evaluate(self, num_images: int, seed=None, attention="kmeans") -> dict:
        """PQ on validation scenes (a seed never used for training); kmeans = argmax attention."""
        self.model.eval()
        seed = self.config["val_data_seed"] if seed is None else seed
        size = self.config["model_config"]["inputSize"][0]
        stat = PQStat()
        for first in range(0, num_images, 8):
            images, _, scenes = render_batch(seed, first, min(8, num_images - first), size)
            outputs = self.model(images.to(self.device), attention)
            for b, scene in enumerate(scenes):
                pan, segments = panoptic_inference(
                    outputs["pred_logits"][b].cpu(), outputs["pred_masks"][b].cpu(), (size, size),
                    THING_IDS, self.config["model_config"]["postprocess"],
                )
                stat.add_image(scene.panoptic, scene.segments, pan, segments)
        return stat.summary([{"id": c["id"], "isthing": c["isthing"]} for c in CLASSES])


def format_pq(result: dict) -> str:
    parts = [f"{k}: PQ={result[k]['pq']:.4f} SQ={result[k]['sq']:.4f} RQ={result[k]['rq']:.4f}" for k in ("all", "things", "stuff")]
    return " | ".join(parts)
