"""One kMaX transformer layer (spec 3.5): auxiliary prediction from the entering centres,
cluster-to-pixel attention (k-means argmax, or the soft comparison modes of spec 6 and
Mask2Former's masked attention),
centre self-attention, FFN."""
import torch
import torch.nn.functional as F
from torch import nn

from .layers import ConvBN, batch_norm, gelu
from .predictor import Predictor

ATTENTION_MODES = ('kmeans', 'softmax', 'masked', 'cluster-softmax')
# A pixel is in cluster k's foreground when its probability over clusters reaches this.
MASKED_FOREGROUND = 0.5


def cluster_attention(mask_logits: torch.Tensor, mode: str) -> torch.Tensor:
    """mask_logits [N, K, P] -> weights A [N, K, P] with U[k] = sum_p A[k, p] V[p].

    kmeans: one-hot of the argmax over clusters per pixel (first index on ties, T2);
    softmax: softmax over all pixels per cluster (spec 6);
    masked: Mask2Former's masked attention, the spatial softmax restricted to the cluster's
    foreground (softmax over clusters >= 0.5; the mask is not differentiated, as there); a
    cluster with an empty foreground attends to every pixel;
    cluster-softmax: softmax over clusters per pixel (a soft k-means)."""
    if mode == 'kmeans':
        index = mask_logits.detach().argmax(dim=1)
        return F.one_hot(index, mask_logits.shape[1]).transpose(1, 2).to(mask_logits.dtype)
    if mode == 'softmax':
        return mask_logits.softmax(dim=2)
    if mode == 'masked':
        foreground = mask_logits.detach().softmax(dim=1) >= MASKED_FOREGROUND
        foreground |= ~foreground.any(dim=2, keepdim=True)
        return mask_logits.masked_fill(~foreground, float('-inf')).softmax(dim=2)
    if mode == 'cluster-softmax':
        return mask_logits.softmax(dim=1)
    raise ValueError(f'unknown attention mode {mode!r}, expected one of {ATTENTION_MODES}')


class SelfAttention(nn.Module):
    """Multi-head attention among the centres: BN per head on the logits, BN on the values."""

    def __init__(self, value_channels: int, heads: int):
        super().__init__()
        self._batch_norm_similarity = batch_norm(heads)
        self._batch_norm_retrieved_value = batch_norm(value_channels, rank=1)
        self.heads = heads

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        n, _, length = q.shape
        h = self.heads
        q, k, v = (t.reshape(n, h, -1, length) for t in (q, k, v))
        logits = self._batch_norm_similarity(torch.einsum('nhdi,nhdj->nhij', q, k))
        retrieved = torch.einsum('nhij,nhdj->nhdi', logits.softmax(dim=-1), v).reshape(n, -1, length)
        return gelu(self._batch_norm_retrieved_value(retrieved))


class KMaXLayer(nn.Module):
    def __init__(self, pixel_channels: int, decoder: dict, predictor: dict, num_classes: int):
        super().__init__()
        query, bottleneck = decoder['queryChannels'], decoder['bottleneckChannels']
        key, value, heads = decoder['keyChannels'], decoder['valueChannels'], decoder['heads']
        self.key_channels, self.value_channels = key, value
        self._query_conv1_bn_act = ConvBN(query, bottleneck, rank=1, act=True)
        self._pixel_conv1_bn_act = ConvBN(pixel_channels, bottleneck, act=True)
        self._query_qkv_conv_bn = ConvBN(bottleneck, 2 * key + value, rank=1)
        self._pixel_v_conv_bn = ConvBN(bottleneck, value)
        self._query_self_attention = SelfAttention(value, heads)
        self._query_conv3_bn = ConvBN(value, query, rank=1)
        self._query_ffn_conv1_bn_act = ConvBN(query, decoder['ffnChannels'], rank=1, act=True)
        self._query_ffn_conv2_bn = ConvBN(decoder['ffnChannels'], query, rank=1)
        self._predcitor = Predictor(bottleneck, bottleneck, predictor['headChannels'],
                                    predictor['embeddingChannels'], num_classes)
        self._kmeans_query_batch_norm_retrieved_value = batch_norm(value, rank=1)
        self._kmeans_query_conv3_bn = ConvBN(value, query, rank=1)

    def forward(self, centres: torch.Tensor, pixel: torch.Tensor, mode: str):
        """centres [N, Cq, K], pixel [N, Cf, H, W] -> (new centres, prediction of the entering centres)."""
        pixel_space = self._pixel_conv1_bn_act(gelu(pixel))
        query_space = self._query_conv1_bn_act(centres)
        pixel_value = self._pixel_v_conv_bn(pixel_space).flatten(2)
        prediction = self._predcitor(pixel_space, query_space, query_space)

        weights = cluster_attention(prediction['mask_logits'].flatten(2), mode)
        update = torch.einsum('nkp,ncp->nck', weights.to(pixel_value.dtype), pixel_value)  # a sum (T3)
        update = self._kmeans_query_conv3_bn(self._kmeans_query_batch_norm_retrieved_value(update))

        q, k, v = torch.split(self._query_qkv_conv_bn(query_space),
                              [self.key_channels, self.key_channels, self.value_channels], dim=1)
        attended = self._query_conv3_bn(self._query_self_attention(q, k, v))

        # Both updates come from the same entering centres and are added to them (T4).
        centres = gelu(centres + update + attended)
        centres = gelu(centres + self._query_ffn_conv2_bn(self._query_ffn_conv1_bn_act(centres)))
        return centres, prediction
