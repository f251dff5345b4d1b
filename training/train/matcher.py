"""Hungarian matching of predicted masks to ground-truth segments (kMaX / MaX-DeepLab).

The similarity of prediction k and segment n is the PQ-style product
p_k(class_n) * dice(mask_k, mask_n), with masks as the softmax over the K clusters;
linear_sum_assignment maximises its sum. Returns matched (prediction, segment) indices.
"""

import torch
from scipy.optimize import linear_sum_assignment


def dice_matrix(mask_probs: torch.Tensor, gt_masks: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """mask_probs [K, P], gt_masks [N, P] (float) -> dice [K, N]."""
    intersection = mask_probs @ gt_masks.T
    sizes = mask_probs.sum(1)[:, None] + gt_masks.sum(1)[None, :]
    return (2 * intersection + eps) / (sizes + eps)


@torch.no_grad()
def hungarian_match(class_probs: torch.Tensor, mask_probs: torch.Tensor, labels: torch.Tensor, gt_masks: torch.Tensor):
    """class_probs [K, C+1], mask_probs [K, P], labels [N], gt_masks [N, P] -> (pred_idx [M], gt_idx [M])."""
    # A NaN prediction still gets a matching; its loss is NaN and the update is skipped.
    similarity = torch.nan_to_num(class_probs[:, labels] * dice_matrix(mask_probs, gt_masks), nan=0.0)
    pred_idx, gt_idx = linear_sum_assignment(similarity.cpu().numpy(), maximize=True)
    device = labels.device
    return torch.as_tensor(pred_idx, device=device), torch.as_tensor(gt_idx, device=device)
