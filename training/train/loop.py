"""The training loop: reproducible from a config file and a seed, resumable from its checkpoints.

A run directory holds log.txt, last.pt (model, optimiser, step: what resuming needs),
curve.json (validation PQ and each layer's covering every `eval_every` steps) and, at the end,
model_final.pth in the official layout {'model': state_dict}. `attention` (config) is the
cross-attention of every kMaX layer during training: kmeans (argmax), softmax, masked or
cluster-softmax.
"""

import json
import os
import time

import numpy as np
import torch

from training.synthetic.classes import CLASSES, THING_IDS
from training.kmax_ref import KMaXDeepLab

from .blas import blas_core
from .covering import assignment_covering
from .data import normalise, render_batch, resize_image
from .losses import LossWeights, kmax_loss
from .matcher import hungarian_match
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
        self.attention = config.get("attention", "kmeans")
        self.run_dir = run_dir
        self.device = torch.device(device)
        os.makedirs(run_dir, exist_ok=True)
        # oneDNN (mkldnn) backward passes of this network on CPU return garbage gradients at
        # random (norms of 1e4..1e15 or inf that differ between identical runs; 70 every time
        # without it): clipping then scaled every real gradient to ~0 and the infs were the
        # "NaN" steps. The native kernels are exact and deterministic.
        torch.backends.mkldnn.enabled = False
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
        self.skipped = 0
        self.bn_recalibrated = False
        self.elapsed = 0.0
        self._resume()

    def _curve_path(self):
        return os.path.join(self.run_dir, "curve.json")

    def _checkpoint_path(self):
        return os.path.join(self.run_dir, "last.pt")

    def _resume(self):
        if not os.path.exists(self._checkpoint_path()):
            return
        state = torch.load(self._checkpoint_path(), map_location=self.device)
        trained_with = state["config"].get("attention", "kmeans")
        if trained_with != self.attention:
            raise ValueError(f"{self._checkpoint_path()} was trained with {trained_with} attention, not {self.attention}")
        recorded = state.get("blas_core")
        if recorded is not None and recorded != blas_core():
            raise ValueError(f"{self._checkpoint_path()} was trained with OpenBLAS's {recorded} kernels, this process has {blas_core()}'s, "
                             f"so the resumed run would not be the uncut one bit for bit: run it with OPENBLAS_CORETYPE={recorded}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        # The auxiliary semantic head's dropout draws from the global generator.
        torch.set_rng_state(state["torch_rng"])
        self.step = state["step"]
        self.skipped = state.get("skipped", 0)
        self.bn_recalibrated = state.get("bn_recalibrated", False)
        self.elapsed = state["elapsed"]
        self.log(f"resumed at step {self.step}")

    def save(self):
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "blas_core": blas_core(),
            "step": self.step,
            "skipped": self.skipped,
            "bn_recalibrated": self.bn_recalibrated,
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
        outputs = self.model(images.to(self.device), self.attention)
        losses = kmax_loss(outputs, [{k: v.to(self.device) for k, v in t.items()} for t in targets], self.weights, self.generator)
        self.optimizer.zero_grad(set_to_none=True)
        # A non-finite loss or gradient skips the update (clipping would spread the NaN
        # into every weight); the step still counts, so the schedule and data stay aligned.
        skipped = not torch.isfinite(losses["total"])
        if not skipped:
            losses["total"].backward()
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config["optimizer"]["grad_clip"])
            losses["grad_norm"] = norm
            skipped = not torch.isfinite(norm)
        if skipped:
            self.skipped += 1
            self.log(f"step {self.step}: {non_finite_report(losses, self.model)}, update skipped ({self.skipped} so far)")
            torch.save({"step": self.step, "model": self.model.state_dict(), "images": images, "targets": targets},
                       os.path.join(self.run_dir, "non-finite.pt"))
        else:
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
            self.elapsed += time.time() - start
            if self.step % config["log_every"] == 0 or self.step == last:
                terms = " ".join(f"{k}={v:.4f}" for k, v in losses.items())
                self.log(f"step {self.step} lr={learning_rate(config, self.step - 1):.2e} {terms} elapsed={self.elapsed:.0f}s")
            # Evaluated before saving: a run cut in between redoes the evaluation on resuming.
            if self.step % config["eval_every"] == 0 or self.step == last:
                result = self.evaluate(config["eval_images"])
                self.log("eval " + format_pq(result))
                self.record_curve(result)
            if self.step % config["checkpoint_every"] == 0 or self.step == last:
                self.save()

    def record_curve(self, result: dict):
        """One point of the training curve; points at or past this step (from before a resume) are replaced."""
        curve = {"attention": self.attention, "seed": self.config["val_data_seed"], "images": self.config["eval_images"], "points": []}
        if os.path.exists(self._curve_path()):
            with open(self._curve_path()) as f:
                curve = json.load(f)
        curve["points"] = [p for p in curve["points"] if p["step"] < self.step] + [{
            "step": self.step,
            "pq": result["all"]["pq"], "pq_things": result["things"]["pq"], "pq_stuff": result["stuff"]["pq"],
            "layer_covering": result["layer_covering"],
        }]
        with open(self._curve_path() + ".tmp", "w") as f:
            json.dump(curve, f, indent=1)
        os.replace(self._curve_path() + ".tmp", self._curve_path())

    @torch.no_grad()
    def recalibrate_batch_norm(self, batches: int):
        """Precise BN: replace the running statistics by their plain average over `batches`
        training-stream batches (past the last training scene) at the final weights. With
        momentum 0.01 they would still mix in the weights of the last few hundred steps."""
        norms = [m for m in self.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average
        self.model.train()
        batch = self.config["batch_size"]
        size = self.config["model_config"]["inputSize"][0]
        for i in range(batches):
            images, _, _ = render_batch(self.config["train_data_seed"], (self.config["steps"] + i) * batch, batch, size)
            # The statistics of the network as it runs: with the attention it was trained with.
            self.model(images.to(self.device), self.attention)
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        self.bn_recalibrated = True
        self.log(f"batch-norm statistics recalibrated on {batches} batches")

    @torch.no_grad()
    def evaluate(self, num_images: int, seed=None, attention=None, image_size=None) -> dict:
        """PQ on validation scenes (a seed never used for training), with the run's attention
        unless another is given. Scenes of another image_size are resized to the input (PIL
        bilinear, as PT) and the panoptic map is made at image_size; at the input size each
        layer's covering of the ground truth (and the final masks') is measured too."""
        attention = attention or self.attention
        self.model.eval()
        seed = self.config["val_data_seed"] if seed is None else seed
        size = self.config["model_config"]["inputSize"][0]
        image_size = image_size or size
        stat = PQStat()
        layers = len(self.model.sem_seg_head.predictor.layer_inputs)
        agreement = torch.zeros(layers)
        gt_agreement = torch.zeros(layers + 1)
        covering = np.zeros(layers + 1)
        for first in range(0, num_images, 8):
            images, targets, scenes = render_batch(seed, first, min(8, num_images - first), image_size)
            if image_size != size:
                images = normalise(np.stack([resize_image(s.image, size) for s in scenes]))
                targets = None
            outputs = self.model(images.to(self.device), attention)
            agreement += assignment_agreement(outputs) * len(scenes)
            if targets is not None:
                gt_agreement += ground_truth_agreement(outputs, targets) * len(scenes)
                covering += layer_covering(outputs, scenes)
            for b, scene in enumerate(scenes):
                pan, segments = panoptic_inference(
                    outputs["pred_logits"][b].cpu(), outputs["pred_masks"][b].cpu(), (size, size),
                    THING_IDS, self.config["model_config"]["postprocess"], (image_size, image_size),
                )
                stat.add_image(scene.panoptic, scene.segments, pan, segments)
        result = stat.summary([{"id": c["id"], "isthing": c["isthing"]} for c in CLASSES])
        result["assignment_agreement"] = (agreement / num_images).tolist()
        if image_size == size:
            result["ground_truth_agreement"] = (gt_agreement / num_images).tolist()
            result["layer_covering"] = (covering / num_images).tolist()
        return result


def non_finite_report(losses: dict, model: torch.nn.Module) -> str:
    """Which loss terms, or else which parameters' gradients, are not finite."""
    terms = [k for k, v in losses.items() if not torch.isfinite(torch.as_tensor(v)).all()]
    if terms:
        return "non-finite loss terms " + ",".join(terms)
    params = [n for n, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()]
    return f"non-finite gradient in {len(params)} tensors, first {params[:3]}"


def assignment_agreement(outputs: dict) -> torch.Tensor:
    """Per kMaX layer: fraction of stride-4 pixels whose cluster (argmax over K) equals the
    final prediction's; rising to 1 means the layer-by-layer assignments converge."""
    final = outputs["pred_masks"].argmax(1)
    return torch.tensor([(aux["pred_masks"].argmax(1) == final).float().mean().item() for aux in outputs["aux_outputs"]])


def layer_covering(outputs: dict, scenes: list) -> np.ndarray:
    """Per kMaX layer (at its own stride) and for the final masks: the covering of each scene's
    ground truth by the argmax clusters, summed over the scenes."""
    maps = [layer["mask_logits"] for layer in outputs["layers"]] + [outputs["pred_masks"]]
    total = np.zeros(len(maps))
    for i, logits in enumerate(maps):
        for b, scene in enumerate(scenes):
            total[i] += assignment_covering(logits[b].argmax(0).cpu().numpy(), scene.panoptic, scene.segments)
    return total


def ground_truth_agreement(outputs: dict, targets: list) -> torch.Tensor:
    """Per kMaX layer and for the final prediction: fraction of labelled stride-4 pixels whose
    argmax cluster is the cluster Hungarian-matched (as in the loss) to the pixel's segment."""
    predictions = outputs["aux_outputs"] + [outputs]
    result = torch.zeros(len(predictions))
    for i, pred in enumerate(predictions):
        for b, target in enumerate(targets):
            masks = target["masks"].flatten(1).float()
            mask_probs = pred["pred_masks"][b].flatten(1).softmax(0).cpu()
            pred_idx, gt_idx = hungarian_match(pred["pred_logits"][b].softmax(-1).cpu(), mask_probs, target["labels"], masks)
            labelled = masks.sum(0) > 0
            wanted = pred_idx[masks[gt_idx].argmax(0)]
            result[i] += (mask_probs.argmax(0) == wanted)[labelled].float().mean() / len(targets)
    return result


def format_pq(result: dict) -> str:
    parts = [f"{k}: PQ={result[k]['pq']:.4f} SQ={result[k]['sq']:.4f} RQ={result[k]['rq']:.4f}" for k in ("all", "things", "stuff")]
    if "assignment_agreement" in result:
        parts.append("layer agreement with final " + " ".join(f"{a:.3f}" for a in result["assignment_agreement"]))
    if "ground_truth_agreement" in result:
        parts.append("with ground truth (layers, final) " + " ".join(f"{a:.3f}" for a in result["ground_truth_agreement"]))
    if "layer_covering" in result:
        parts.append("covering (layers, final) " + " ".join(f"{a:.3f}" for a in result["layer_covering"]))
    return " | ".join(parts)
