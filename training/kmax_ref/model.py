"""kMaX-DeepLab meta-architecture (spec 1): backbone -> pixel decoder -> transformer decoder,
as plain NCHW nn.Modules whose state_dict matches the official PT checkpoints key for key."""
import torch
from torch import nn

from .axial_resnet import AxialResNet
from .convnext import ConvNeXt
from .pixel_decoder import PixelDecoder
from .resnet import ResNet
from .transformer_decoder import TransformerDecoder


def build_backbone(config: dict) -> nn.Module:
    kind = config['type']
    if kind == 'resnet':
        return ResNet(config)
    if kind == 'convnext':
        return ConvNeXt(config)
    if kind == 'axial-resnet':
        return AxialResNet(config)
    raise ValueError(f'unknown backbone type {kind!r}')


class SemSegHead(nn.Module):
    def __init__(self, config: dict, backbone_channels: dict):
        super().__init__()
        inputs = config['pixelDecoder']['inputs']
        self.pixel_decoder = PixelDecoder([backbone_channels[name] for name in inputs], config['pixelDecoder'])
        self.predictor = TransformerDecoder(config, self.pixel_decoder.out_channels, backbone_channels)
        self.inputs = inputs


class KMaXDeepLab(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        self.config = config
        self.backbone = build_backbone(config['backbone'])
        self.sem_seg_head = SemSegHead(config, self.backbone.channels)

    def forward(self, images: torch.Tensor, attention='kmeans') -> dict:
        """images: normalised, zero-padded [N, 3, H, W] (spec 2.1). Returns `pred_logits`
        [N, K, C+1], `pred_masks` [N, K, H/4, W/4], `pixel_feature`, per-layer native-resolution
        predictions `layers` (class_logits, mask_logits, pixel_feature), PT-style `aux_outputs`,
        `features` (backbone endpoints), `decoder` (stage outputs) and, in training,
        `aux_semantic_pred`."""
        features = self.backbone(images)
        decoder = self.sem_seg_head.pixel_decoder([features[name] for name in self.sem_seg_head.inputs])
        out = self.sem_seg_head.predictor(decoder, features, attention)
        out['features'] = features
        out['decoder'] = decoder
        return out
