"""kMaX-DeepLab training losses, applied to the final prediction and to every layer's auxiliary one.

Per prediction set (class logits [B,K,C+1], mask logits [B,K,h,w], pixel embedding [B,D,h,w]):
  * PQ-style loss (MaX-DeepLab): after Hungarian matching, the mask term is
    -p(class)·dice and the class term is -dice·log p(class), each factor with stopped gradient.
    Unmatched clusters get the void target with a small weight (`void_class`), and void targets
    are down-weighted by the focal alpha, as in kMaX: with weight 1 the ~K-N unmatched clusters
    outvote the dice-weighted (initially ~0.1) class terms of the things, thing class
    probabilities never rise above the inference threshold and no thing survives.
  * mask-ID cross-entropy: softmax over the K clusters at every labelled pixel, target = the
    cluster matched to the pixel's segment.
  * pixel instance discrimination: a contrastive loss on sampled pixel embeddings whose
    positives are the pixels of the same segment.
Targets are per image {'labels': [N] long, 'masks': [N,h,w] bool} at the mask-logit resolution;
unlabelled (void) pixels belong to no mask and are ignored by every term.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .matcher import dice_matrix, hungarian_match


@dataclass(frozen=True)
class LossWeights:
    pq: float = 3.0
    mask_id: float = 0.3
    instance_discrimination: float = 1.0
    semantic: float = 1.0
    void_class: float = 1.0
    # kMaX's focal alpha: class-loss weight of real-class targets; void targets get 1 - alpha.
    class_alpha: float = 0.75
    # kMaX's no-object weight: floor of the matched dice / class-prob loss weights.
    min_weight: float = 1e-5
    temperature: float = 0.3
    sampled_pixels: int = 512
    # 'uniform': pixels drawn uniformly (large stuff regions dominate);
    # 'balanced': each segment equally likely, so small things weigh as much as the sky.
    instance_sampling: str = "uniform"


def prediction_loss(pred: dict, targets: list, weights: LossWeights, generator: torch.Generator) -> dict:
    """Loss terms of one prediction set, averaged over the batch."""
    terms = {"pq_mask": 0.0, "pq_class": 0.0, "mask_id": 0.0, "instance": 0.0}
    batch = len(targets)
    for b, target in enumerate(targets):
        class_logits = pred["pred_logits"][b]
        mask_logits = pred["pred_masks"][b].flatten(1)  # [K, P]
        gt_masks = target["masks"].flatten(1).float()  # [N, P]
        labels = target["labels"]
        num_classes = class_logits.shape[1] - 1
        class_log_probs = F.log_softmax(class_logits, -1)
        mask_probs = F.softmax(mask_logits, 0)

        pred_idx, gt_idx = hungarian_match(class_log_probs.exp(), mask_probs, labels, gt_masks)
        dice = dice_matrix(mask_probs[pred_idx], gt_masks[gt_idx]).diagonal()
        matched_class_prob = class_log_probs[pred_idx, labels[gt_idx]]
        mask_weight = matched_class_prob.detach().exp().clamp(min=weights.min_weight)
        terms["pq_mask"] += -(mask_weight * dice).mean()

        class_target = torch.full((class_logits.shape[0],), num_classes, dtype=torch.long, device=labels.device)
        class_target[pred_idx] = labels[gt_idx]
        class_weight = torch.full_like(class_log_probs[:, 0], weights.void_class * (1 - weights.class_alpha))
        class_weight[pred_idx] = dice.detach().clamp(min=weights.min_weight) * weights.class_alpha
        ce = F.nll_loss(class_log_probs, class_target, reduction="none")
        terms["pq_class"] += (class_weight * ce).sum() / (class_weight > 0).sum().clamp(min=1)

        labelled = gt_masks[gt_idx].sum(0) > 0
        pixel_cluster = pred_idx[gt_masks[gt_idx].argmax(0)]
        terms["mask_id"] += F.cross_entropy(mask_logits.T[labelled], pixel_cluster[labelled])

        terms["instance"] += _instance_discrimination(pred["pixel_feature"][b].flatten(1), gt_masks, weights, generator)

    terms = {k: v / batch for k, v in terms.items()}
    terms["total"] = (
        weights.pq * (terms["pq_mask"] + terms["pq_class"])
        + weights.mask_id * terms["mask_id"]
        + weights.instance_discrimination * terms["instance"]
    )
    return terms


def _instance_discrimination(embedding, gt_masks, weights, generator):
    """embedding [D, P] (L2-normalised), gt_masks [N, P]."""
    segment = gt_masks.argmax(0)
    labelled = torch.nonzero(gt_masks.sum(0) > 0).squeeze(1)
    count = min(weights.sampled_pixels, len(labelled))
    if weights.instance_sampling == "balanced":
        odds = 1.0 / gt_masks.sum(1)[segment[labelled]]
        pick = torch.multinomial(odds.cpu(), count, replacement=False, generator=generator)
    else:
        pick = torch.randperm(len(labelled), generator=generator)[:count]
    pixels = labelled[pick.to(labelled.device)]
    features = embedding[:, pixels].T  # [S, D]
    ids = segment[pixels]
    same = (ids[:, None] == ids[None, :]).float()
    logits = features @ features.T / weights.temperature
    return -(same / same.sum(1, keepdim=True) * F.log_softmax(logits, 1)).sum(1).mean()


def semantic_loss(logits: torch.Tensor, targets: list) -> torch.Tensor:
    """Per-pixel class cross-entropy of the auxiliary semantic head (stride 4), void ignored."""
    labels = torch.stack([_semantic_labels(t) for t in targets])
    labels = labels[:, : logits.shape[2], : logits.shape[3]]
    return F.cross_entropy(logits, labels, ignore_index=-1)


def _semantic_labels(target):
    masks = target["masks"]
    labels = target["labels"][masks.long().argmax(0)]
    return torch.where(masks.any(0), labels, torch.full_like(labels, -1))


def kmax_loss(outputs: dict, targets: list, weights: LossWeights, generator: torch.Generator) -> dict:
    """Final + deep-supervision (+ semantic) losses; 'total' is their sum, 'aux' the per-layer
    totals, the other entries the final prediction's terms."""
    final = prediction_loss(outputs, targets, weights, generator)
    total = final["total"]
    result = {k: float(v) for k, v in final.items() if k != "total"}
    for i, aux in enumerate(outputs.get("aux_outputs", [])):
        layer = prediction_loss(aux, targets, weights, generator)["total"]
        result[f"layer{i}"] = float(layer)
        total = total + layer
    if "aux_semantic_pred" in outputs and weights.semantic > 0:
        semantic = semantic_loss(outputs["aux_semantic_pred"], targets)
        result["semantic"] = float(semantic)
        total = total + weights.semantic * semantic
    result["total"] = total
    return result
