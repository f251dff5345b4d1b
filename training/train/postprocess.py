"""PT panoptic inference (spec 5.1) for one square image.

The demo network runs at a 32k+1 square input with no padding, so no crop is needed: the mask
logits are upsampled to the input (align_corners=True, spec 1.3) and, for an image of another
size, resized again to it (align_corners=False, as PT's resize to the original image).
"""

import torch
import torch.nn.functional as F


@torch.no_grad()
def panoptic_inference(class_logits, mask_logits, size, thing_ids, thresholds, output_size=None):
    """class_logits [K,C+1], mask_logits [K,h,w]; size = network input, output_size = image
    -> (panoptic [H,W] int32 numpy at output_size, segments)."""
    class_probs = F.softmax(class_logits, -1)[:, :-1]
    scores, labels = class_probs.max(-1)
    logits = F.interpolate(mask_logits[None], size=size, mode="bilinear", align_corners=True)
    if output_size is not None and tuple(output_size) != tuple(size):
        logits = F.interpolate(logits, size=output_size, mode="bilinear", align_corners=False)
        size = tuple(output_size)
    logits = logits[0]
    mask_probs = F.softmax(logits, 0)
    binary = mask_probs > thresholds["pixelThreshold"]
    areas = binary.flatten(1).sum(1)
    confidence = (mask_probs * binary).flatten(1).sum(1) / areas.clamp(min=1)
    order = torch.argsort(
        scores ** thresholds["reorderClassWeight"] * confidence ** thresholds["reorderMaskWeight"], descending=True
    )
    panoptic = torch.zeros(size, dtype=torch.int32)
    segments, stuff_segment = [], {}
    for k in order.tolist():
        label = int(labels[k])
        is_thing = label in thing_ids
        limit = thresholds["classThresholdThing"] if is_thing else thresholds["classThresholdStuff"]
        if not scores[k] > limit:
            continue
        free = binary[k] & (panoptic == 0)
        if not free.sum() > areas[k] * thresholds["overlapThreshold"]:
            continue
        if not is_thing and label in stuff_segment:
            panoptic[free] = stuff_segment[label]
            continue
        segment_id = len(segments) + 1
        if not is_thing:
            stuff_segment[label] = segment_id
        panoptic[free] = segment_id
        segments.append({"id": segment_id, "category_id": label, "isthing": is_thing})
    return panoptic.numpy(), segments
