"""Train-only auxiliary semantic head (spec 3.8): dropped at inference, present in the
checkpoints. COCO/ADE20K use an ASPP + two low-level fusions (DeepLab-style) on raw res5,
res3, res2; Cityscapes a depthwise 5x5 + 1x1 + 1x1 on raw res5 predicting C classes (no void).
Widths follow predictor.headChannels (256 officially: ASPP 256, projections 64 and 32)."""
import torch
import torch.nn.functional as F
from torch import nn

from .layers import ConvBN, resize_bilinear

ATROUS_RATES = (6, 12, 18)


class ASPP(nn.Module):
    def __init__(self, in_channels: int, channels: int):
        super().__init__()
        self._aspp_conv0 = ConvBN(in_channels, channels, act=True)
        for index, rate in enumerate(ATROUS_RATES, start=1):
            setattr(self, f'_aspp_conv{index}', ConvBN(in_channels, channels, 3, dilation=rate, act=True))
        self._aspp_pool = ConvBN(in_channels, channels, act=True)
        self._proj_conv_bn_act = ConvBN(5 * channels, channels, act=True)
        self._proj_drop = nn.Dropout(p=0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [getattr(self, f'_aspp_conv{i}')(x) for i in range(4)]
        pooled = self._aspp_pool(F.adaptive_avg_pool2d(x, 1))
        branches.append(resize_bilinear(pooled, x.shape[-2:], align_corners=x.shape[-1] % 2 == 1))
        return self._proj_drop(self._proj_conv_bn_act(torch.cat(branches, dim=1)))


class SemanticDecoderHead(nn.Module):
    def __init__(self, channels: dict, width: int, num_classes: int):
        super().__init__()
        os8, os4 = width // 4, width // 8
        self._aspp = ASPP(channels['res5'], width)
        self._low_level_projection_os8 = ConvBN(channels['res3'], os8, act=True)
        self._low_level_fusion_os8_conv0_bn_act = ConvBN(width + os8, width + os8, 5, groups=width + os8, act=True)
        self._low_level_fusion_os8_conv1_bn_act = ConvBN(width + os8, width, act=True)
        self._low_level_projection_os4 = ConvBN(channels['res2'], os4, act=True)
        self._low_level_fusion_os4_conv0_bn_act = ConvBN(width + os4, width + os4, 5, groups=width + os4, act=True)
        self._low_level_fusion_os4_conv1_bn_act = ConvBN(width + os4, width, act=True)
        self.conv_block_0 = ConvBN(width, width, 5, groups=width, act=True)
        self.conv_block_1 = ConvBN(width, width, act=True)
        self.final_conv = ConvBN(width, num_classes + 1, bias=True, norm=False)

    def forward(self, features: dict) -> torch.Tensor:
        x = self._aspp(features['res5'])
        align_corners = x.shape[-1] % 2 == 1
        for scale, level in (('os8', 'res3'), ('os4', 'res2')):
            low = getattr(self, f'_low_level_projection_{scale}')(features[level])
            x = torch.cat([resize_bilinear(x, low.shape[-2:], align_corners), low], dim=1)
            x = getattr(self, f'_low_level_fusion_{scale}_conv0_bn_act')(x)
            x = getattr(self, f'_low_level_fusion_{scale}_conv1_bn_act')(x)
        return self.final_conv(self.conv_block_1(self.conv_block_0(x)))


def semantic_head(channels: dict, width: int, num_classes: int, dataset: str) -> nn.Module:
    if dataset == 'cityscapes_panoptic':
        c5 = channels['res5']
        return nn.Sequential(ConvBN(c5, c5, 5, groups=c5, act=True), ConvBN(c5, width, act=True),
                             ConvBN(width, num_classes, bias=True, norm=False))
    return SemanticDecoderHead(channels, width, num_classes)


def run_semantic_head(head: nn.Module, features: dict) -> torch.Tensor:
    return head(features['res5']) if isinstance(head, nn.Sequential) else head(features)
