"""PT mapping of outputs back to the image (spec 2.1 step 5) and PT panoptic, semantic and
instance inference (spec 5.1-5.3). Tensors are [K, H, W] logits, [K, C+1] class logits."""
import torch

from .layers import resize_bilinear


def crop_size(padded_size, original_size):
    """PT's crop: s = max(padded) / max(original), Python round (half to even) (T25)."""
    s = max(padded_size) / max(original_size)
    return round(original_size[0] * s), round(original_size[1] * s)


def masks_to_original(mask_logits: torch.Tensor, padded_size, original_size) -> torch.Tensor:
    """Upsample to the padded input, crop the padding, resize to the image; logits, not
    probabilities (T28). align_corners follows the padded width parity."""
    align_corners = padded_size[1] % 2 == 1
    full = resize_bilinear(mask_logits.unsqueeze(0), padded_size, align_corners)
    crop_h, crop_w = crop_size(padded_size, original_size)
    return resize_bilinear(full[:, :, :crop_h, :crop_w], original_size, align_corners)[0]


def _class_scores(class_logits: torch.Tensor):
    """Softmax over C+1, void column dropped without renormalising."""
    probs = class_logits.softmax(dim=-1)[:, :-1]
    scores, labels = probs.max(dim=-1)
    return probs, scores, labels


def panoptic_inference(class_logits: torch.Tensor, mask_logits: torch.Tensor, thing_ids: set, pp: dict):
    """Spec 5.1. Returns (panoptic int32 [H, W], segments [{id, category_id, isthing, score, area}])."""
    _, scores, labels = _class_scores(class_logits)
    mask_probs = mask_logits.softmax(dim=0)
    binary = mask_probs > pp['pixelThreshold']
    area = binary.sum(dim=(1, 2))
    mask_scores = (mask_probs * binary).sum(dim=(1, 2)) / area.clamp(min=1)
    # 0 ** 0 == 1: the mask weight 0 of Cityscapes ignores mask scores (T32).
    reorder = scores.pow(pp['reorderClassWeight']) * mask_scores.pow(pp['reorderMaskWeight'])
    order = torch.sort(reorder, descending=True, stable=True).indices

    panoptic = torch.zeros(mask_logits.shape[1:], dtype=torch.int32)
    segments, stuff_ids = [], {}
    for k in order.tolist():
        label = int(labels[k])
        is_thing = label in thing_ids
        threshold = pp['classThresholdThing'] if is_thing else pp['classThresholdStuff']
        if not scores[k] > threshold:
            continue
        new_pixels = binary[k] & (panoptic == 0)
        if not int(new_pixels.sum()) > int(area[k]) * pp['overlapThreshold']:
            continue
        if not is_thing and label in stuff_ids:
            panoptic[new_pixels] = stuff_ids[label]  # same-class stuff merges (T30)
            continue
        segment_id = len(segments) + 1
        if not is_thing:
            stuff_ids[label] = segment_id
        panoptic[new_pixels] = segment_id
        segments.append({'id': segment_id, 'category_id': label, 'isthing': is_thing, 'score': float(scores[k])})
    for segment in segments:
        segment['area'] = int((panoptic == segment['id']).sum())
    return panoptic, segments


def semantic_inference(class_logits: torch.Tensor, mask_logits: torch.Tensor) -> torch.Tensor:
    """Spec 5.2: argmax_c sum_k P(c | k) P(k | pixel)."""
    probs, _, _ = _class_scores(class_logits)
    return torch.einsum('kc,khw->chw', probs, mask_logits.softmax(dim=0)).argmax(dim=0).to(torch.int32)


def instance_inference(class_logits: torch.Tensor, mask_logits: torch.Tensor, thing_ids: set,
                       pixel_threshold: float = 0.4, detections: int = 100, things_only: bool = True) -> list:
    """Spec 5.3: top `detections` (cluster, class) scores; mask = P(k) > 0.4; score rescored
    by the mean mask probability inside the mask."""
    probs, _, _ = _class_scores(class_logits)
    num_classes = probs.shape[1]
    mask_probs = mask_logits.softmax(dim=0)
    top = probs.flatten().topk(min(detections, probs.numel()), sorted=False)
    instances = []
    for score, index in zip(top.values.tolist(), top.indices.tolist()):
        cluster, label = divmod(index, num_classes)
        if things_only and label not in thing_ids:
            continue
        mask = mask_probs[cluster] > pixel_threshold
        mask_score = float((mask_probs[cluster] * mask).sum() / (mask.sum() + 1e-6))
        instances.append({'cluster': cluster, 'category_id': label, 'score': score * mask_score, 'mask': mask})
    return instances
