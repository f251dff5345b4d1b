"""kMaXPredictor (spec 3.6): pixel-space head -> L2-normalised pixel embedding; mask kernels
and class logits from the cluster embeddings; mask logits through a 1-channel BN."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .layers import ConvBN, batch_norm


def void_prior(num_classes: int) -> float:
    """ln(C * 0.9 / 0.1), added to the void logit in the forward pass, not stored (T1)."""
    return math.log(num_classes * 0.9 / 0.1)


class Predictor(nn.Module):
    def __init__(self, pixel_channels: int, query_channels: int, head_channels: int,
                 embedding_channels: int, num_classes: int):
        super().__init__()
        self._pixel_space_head_conv0bnact = ConvBN(pixel_channels, pixel_channels, 5,
                                                   groups=pixel_channels, act=True)
        self._pixel_space_head_conv1bnact = ConvBN(pixel_channels, head_channels, act=True)
        self._pixel_space_head_last_convbn = ConvBN(head_channels, embedding_channels, bias=True)
        self._transformer_mask_head = ConvBN(query_channels, embedding_channels, rank=1)
        self._transformer_class_head = ConvBN(query_channels, num_classes + 1, rank=1, bias=True, norm=False)
        self._pixel_space_mask_batch_norm = batch_norm(1)
        self.void_prior = void_prior(num_classes)

    def forward(self, pixel: torch.Tensor, mask_embedding: torch.Tensor, class_embedding: torch.Tensor) -> dict:
        """pixel [N, Cp, H, W]; embeddings [N, Cq, K] -> class_logits [N, K, C+1],
        mask_logits [N, K, H, W], pixel_feature [N, E, H, W]."""
        x = self._pixel_space_head_conv1bnact(self._pixel_space_head_conv0bnact(pixel))
        # PT divides by max(||x||, 1e-12) (3.1).
        pixel_feature = F.normalize(self._pixel_space_head_last_convbn(x), p=2, dim=1)
        class_logits = self._transformer_class_head(class_embedding).transpose(1, 2)
        class_logits = torch.cat([class_logits[..., :-1], class_logits[..., -1:] + self.void_prior], dim=-1)
        kernels = self._transformer_mask_head(mask_embedding)
        mask_logits = torch.einsum('nehw,nek->nkhw', pixel_feature, kernels)
        n, k, h, w = mask_logits.shape
        mask_logits = self._pixel_space_mask_batch_norm(mask_logits.reshape(n, 1, k, h * w)).reshape(n, k, h, w)
        return {'class_logits': class_logits, 'mask_logits': mask_logits, 'pixel_feature': pixel_feature}
