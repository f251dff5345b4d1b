"""kMaX transformer decoder (spec 3.5): learned centres refined by kMaX layers on D32, D16, D8,
then class/mask embedding projections and the final predictor on the finest decoder output.
Module names are PT's (`sem_seg_head.predictor.*`), including the misspelt `_predcitor` (T36)."""
import torch
from torch import nn

from .kmax_layer import KMaXLayer
from .layers import ConvBN, resize_bilinear
from .predictor import Predictor
from .semantic_head import run_semantic_head, semantic_head


def _attention_modes(attention, count: int) -> list:
    modes = [attention] * count if isinstance(attention, str) else list(attention)
    if len(modes) != count:
        raise ValueError(f'expected {count} attention modes, got {len(modes)}')
    return modes


class TransformerDecoder(nn.Module):
    def __init__(self, config: dict, pixel_channels: list, backbone_channels: dict):
        super().__init__()
        decoder, predictor = config['transformerDecoder'], config['predictor']
        query = decoder['queryChannels']
        # Layer l reads decoder output `self.layer_inputs[l]` (0 = D32, 1 = D16, 2 = D8).
        self.layer_inputs = [i for i, count in enumerate(decoder['layersPerStage']) for _ in range(count)]
        self._kmax_transformer_layers = nn.ModuleList(
            KMaXLayer(pixel_channels[i], decoder, predictor, config['numClasses']) for i in self.layer_inputs)
        # nn.Embedding used as a plain [channels, K] matrix (T15).
        self._cluster_centers = nn.Embedding(query, decoder['numClusters'])
        self._class_embedding_projection = ConvBN(query, query, rank=1, act=True)
        self._mask_embedding_projection = ConvBN(query, query, rank=1, act=True)
        self._predcitor = Predictor(pixel_channels[-1], query, predictor['headChannels'],
                                    predictor['embeddingChannels'], config['numClasses'])
        self._auxiliary_semantic_predictor = semantic_head(
            backbone_channels, predictor['headChannels'], config['numClasses'], config['dataset'])

    def forward(self, decoder_outputs: list, backbone_features: dict, attention='kmeans') -> dict:
        """decoder_outputs: pixel-decoder stage outputs, coarse to fine (the last one feeds the
        final predictor without GELU, T11). `attention` is a mode or one mode per layer."""
        modes = _attention_modes(attention, len(self._kmax_transformer_layers))
        batch = decoder_outputs[0].shape[0]
        centres = self._cluster_centers.weight.unsqueeze(0).expand(batch, -1, -1)
        layers = []
        for layer, source, mode in zip(self._kmax_transformer_layers, self.layer_inputs, modes):
            centres, prediction = layer(centres, decoder_outputs[source], mode)
            layers.append(prediction)
        final = self._predcitor(decoder_outputs[-1], self._mask_embedding_projection(centres),
                                self._class_embedding_projection(centres))
        out = {'pred_logits': final['class_logits'], 'pred_masks': final['mask_logits'],
               'pixel_feature': final['pixel_feature'], 'centres': centres, 'layers': layers,
               'aux_outputs': [self._resized(p, final['mask_logits'].shape[-2:]) for p in layers]}
        if self.training:
            out['aux_semantic_pred'] = run_semantic_head(self._auxiliary_semantic_predictor, backbone_features)
        return out

    @staticmethod
    def _resized(prediction: dict, size) -> dict:
        """PT's training-loss view of a layer: maps resized to the final stride-4 size,
        align_corners by the target height parity (T21)."""
        align_corners = size[0] % 2 == 1
        return {'pred_logits': prediction['class_logits'],
                'pred_masks': resize_bilinear(prediction['mask_logits'], size, align_corners),
                'pixel_feature': resize_bilinear(prediction['pixel_feature'], size, align_corners)}
