"""Behaviour of the reference modules: training forward, cluster-attention modes, cluster
permutation equivariance, axial attention against a loop over the spec formula, backbone
variants and ConvNeXt padding."""
import copy
import math
import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from kmax_ref import KMaXDeepLab, cluster_attention  # noqa: E402
from kmax_ref.axial_attention import Axial2D, AxialAttention1D  # noqa: E402
from kmax_ref.axial_resnet import AxialResNet  # noqa: E402
from kmax_ref.convnext import ConvNeXt  # noqa: E402
from kmax_ref.random_weights import calibrate, randomize  # noqa: E402
from kmax_ref.resnet import ResNet  # noqa: E402
from make_fixtures import FIXTURES, draw_test_image  # noqa: E402
from kmax_ref.preprocess import preprocess  # noqa: E402


def calibrated(name: str, seed: int = 5):
    config = FIXTURES[name]
    model = KMaXDeepLab(config)
    x = preprocess(draw_test_image(), config['inputSize'])
    randomize(model, seed)
    calibrate(model, x)
    return model, x


class Training(unittest.TestCase):
    def test_train_forward_returns_aux_outputs_and_backpropagates(self):
        model, x = calibrated('r50-coco-4stage')
        model.train()
        batch = torch.cat([x, x.flip(-1)])
        out = model(batch)
        k, c = 24, 134
        self.assertEqual(tuple(out['pred_logits'].shape), (2, k, c))
        self.assertEqual(tuple(out['pred_masks'].shape), (2, k, 17, 25))
        self.assertEqual(len(out['aux_outputs']), 6)
        for aux in out['aux_outputs']:
            self.assertEqual(tuple(aux['pred_masks'].shape), (2, k, 17, 25))
            self.assertEqual(tuple(aux['pred_logits'].shape), (2, k, c))
        self.assertEqual(tuple(out['aux_semantic_pred'].shape), (2, c, 17, 25))
        loss = out['pred_logits'].logsumexp(-1).mean() + out['pred_masks'].square().mean() \
            + sum(a['pred_logits'].square().mean() for a in out['aux_outputs']) + out['aux_semantic_pred'].square().mean()
        loss.backward()
        grad = model.backbone.stem.conv1.weight.grad
        self.assertTrue(grad is not None and float(grad.abs().sum()) > 0)
        self.assertGreater(float(model.sem_seg_head.predictor._cluster_centers.weight.grad.abs().sum()), 0)

    def test_eval_omits_semantic_head(self):
        model, x = calibrated('r50-cityscapes-5stage')
        with torch.no_grad():
            out = model(x)
        self.assertNotIn('aux_semantic_pred', out)
        # Cityscapes R50: 5th decoder stage on res2 at stride 4 -> final masks 17 x 25 (T13).
        self.assertEqual(tuple(out['pred_masks'].shape), (1, 32, 17, 25))


class ClusterAttention(unittest.TestCase):
    logits = torch.tensor([[[1.0, 5.0, 2.0], [3.0, 5.0, 2.0], [0.0, 1.0, 7.0]]])  # [N=1, K=3, P=3]

    def test_kmeans_is_one_hot_argmax_over_clusters_first_on_ties(self):
        weights = cluster_attention(self.logits, 'kmeans')
        expected = torch.tensor([[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
        self.assertTrue(torch.equal(weights, expected))  # pixel 1 ties clusters 0/1 -> 0

    def test_softmax_normalises_over_pixels(self):
        weights = cluster_attention(self.logits, 'softmax')
        self.assertTrue(torch.allclose(weights.sum(dim=2), torch.ones(1, 3)))
        self.assertAlmostEqual(float(weights[0, 2, 2]), math.exp(7) / (1 + math.e + math.exp(7)), places=6)

    def test_cluster_softmax_normalises_over_clusters(self):
        weights = cluster_attention(self.logits, 'cluster-softmax')
        self.assertTrue(torch.allclose(weights.sum(dim=1), torch.ones(1, 3)))
        self.assertAlmostEqual(float(weights[0, 0, 0]), math.e / (math.e + math.exp(3) + 1), places=6)

    def test_modes_change_only_later_layers(self):
        model, x = calibrated('r50-coco-4stage')
        with torch.no_grad():
            kmeans = model(x, attention='kmeans')
            soft = model(x, attention=['kmeans', 'softmax'] + ['kmeans'] * 4)
        # Layer 1's prediction comes from the centres entering it: identical in both runs.
        for index in (0, 1):
            self.assertTrue(torch.equal(kmeans['layers'][index]['mask_logits'], soft['layers'][index]['mask_logits']))
        self.assertGreater(float((kmeans['layers'][2]['mask_logits'] - soft['layers'][2]['mask_logits']).abs().max()), 1e-3)


class Equivariance(unittest.TestCase):
    def test_permuting_cluster_centres_permutes_every_output(self):
        model, x = calibrated('convnext-cityscapes-5stage')
        permuted = copy.deepcopy(model)
        order = torch.randperm(32, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            centres = permuted.sem_seg_head.predictor._cluster_centers.weight
            centres.copy_(centres[:, order])
            a, b = model(x), permuted(x)
        torch.testing.assert_close(b['pred_logits'], a['pred_logits'][:, order], rtol=1e-3, atol=5e-3)
        torch.testing.assert_close(b['pred_masks'], a['pred_masks'][:, order], rtol=1e-3, atol=5e-3)
        torch.testing.assert_close(b['layers'][5]['mask_logits'], a['layers'][5]['mask_logits'][:, order],
                                   rtol=1e-3, atol=5e-3)


class Axial(unittest.TestCase):
    def test_matches_a_loop_over_the_spec_formula(self):
        torch.manual_seed(0)
        heads, ck, cv, length = 2, 4, 6, 5
        attention = AxialAttention1D(3, ck, cv, heads)
        for p in attention.parameters():
            p.data.normal_()
        for bn in (attention._batch_norm_qkv, attention._batch_norm_similarity, attention._batch_norm_retrieved_output):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2)
        attention.eval()
        x = torch.randn(1, 3, length)
        with torch.no_grad():
            got = attention(x)[0]
            qkv = attention._batch_norm_qkv(attention.qkv_transform(x))[0]

        def bn(module, channel, value):
            return ((value - module.running_mean[channel]) / torch.sqrt(module.running_var[channel] + 1e-3)
                    * module.weight[channel] + module.bias[channel])

        dk, dv = ck // heads, cv // heads
        tq, tk, tv = (r._embeddings.weight.detach() for r in (attention._query_rpe, attention._key_rpe, attention._value_rpe))
        expected = torch.zeros(cv, length)
        with torch.no_grad():
            for h in range(heads):
                q = qkv[h * dk:(h + 1) * dk]
                k = qkv[ck + h * dk:ck + (h + 1) * dk]
                v = qkv[2 * ck + h * dv:2 * ck + (h + 1) * dv]
                for l in range(length):
                    logits = torch.stack([
                        bn(attention._batch_norm_similarity, h, q[:, l] @ k[:, m])
                        + bn(attention._batch_norm_similarity, heads + h, q[:, l] @ tq[m - l + 254])
                        + bn(attention._batch_norm_similarity, 2 * heads + h, k[:, m] @ tk[m - l + 254])
                        for m in range(length)])
                    a = logits.softmax(0)
                    content = sum(a[m] * v[:, m] for m in range(length))
                    position = sum(a[m] * tv[m - l + 254] for m in range(length))
                    for d in range(dv):
                        channel = h * dv + d
                        expected[channel, l] = (bn(attention._batch_norm_retrieved_output, channel, content[d])
                                                + bn(attention._batch_norm_retrieved_output, cv + channel, position[d]))
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


class Backbones(unittest.TestCase):
    def test_resnet_variants(self):
        config = FIXTURES['r50-coco-4stage']['backbone']
        x = torch.randn(1, 3, 65, 97)
        shapes = {'stem': (17, 25), 'res2': (17, 25), 'res3': (9, 13), 'res4': (5, 7), 'res5': (3, 4)}
        pt = ResNet(config).eval()
        tf = ResNet(dict(config, variant='tf')).eval()
        tf.load_state_dict(pt.state_dict())
        with torch.no_grad():
            a, b = pt(x), tf(x)
        for name, size in shapes.items():
            self.assertEqual(tuple(a[name].shape[-2:]), size, name)
        self.assertEqual(tuple(b['stem'].shape[-2:]), (33, 49))  # TF stem: stride 2, no pool
        self.assertEqual(tuple(b['res2'].shape[-2:]), (17, 25))
        self.assertGreaterEqual(float(a['res3'].min()), 0.0)    # post-ReLU endpoints
        self.assertLess(float(b['res3'].min()), 0.0)            # pre-activation endpoints
        self.assertLess(float(b['stem'].min()), 0.0)            # stem without activation

    def test_axial_resnet_layout(self):
        """MaX-S at fixture widths: Inception stem at stride 2, bottlenecks until res4's first
        block, axial blocks from input stride 16 on, pre-activation endpoints."""
        config = FIXTURES['maxs-coco-4stage']['backbone']
        model, _ = calibrated('maxs-coco-4stage')
        net = model.backbone
        self.assertIsInstance(net, AxialResNet)
        with torch.no_grad():
            out = net(torch.randn(1, 3, 65, 97))
        shapes = {'stem': (33, 49), 'res2': (17, 25), 'res3': (9, 13), 'res4': (5, 7), 'res5': (3, 4)}
        for name, size in shapes.items():
            self.assertEqual(tuple(out[name].shape[-2:]), size, name)
            self.assertLess(float(out[name].min()), 0.0, name)
        self.assertEqual(out['stem'].shape[1], config['stemChannels'][1])
        kinds = {f'res{s}.{b}': hasattr(block, '_attention')
                 for s in range(2, 6) for b, block in enumerate(getattr(net, f'res{s}'))}
        self.assertEqual(kinds, {'res2.0': False, 'res3.0': False, 'res4.0': False, 'res4.1': True,
                                 'res5.0': True, 'res5.1': True})
        self.assertEqual(net.res5[0]._attention.stride, 2)

    def test_strided_axial_attention_subsamples_the_unstrided_output(self):
        """deeplab2 keeps every other row after the height pass and every other column after
        the width pass; rows are independent in the width pass, so this is the stride-1
        output at [::2, ::2]."""
        torch.manual_seed(3)
        strided, plain = Axial2D(8, 8, 2, stride=2), Axial2D(8, 8, 2)
        for p in strided.parameters():
            p.data.normal_()
        for bn in strided.modules():
            if isinstance(bn, torch.nn.modules.batchnorm._BatchNorm):
                bn.running_mean.normal_()
                bn.running_var.uniform_(0.5, 2)
        plain.load_state_dict(strided.state_dict())
        x = torch.randn(1, 8, 5, 7)
        with torch.no_grad():
            got, full = strided.eval()(x), plain.eval()(x)
        self.assertEqual(tuple(got.shape), (1, 16, 3, 4))
        torch.testing.assert_close(got, full[:, :, ::2, ::2])

    def test_convnext_pads_before_layer_norm(self):
        net = ConvNeXt({'depths': [1, 1, 1, 1], 'dims': [4, 6, 8, 10]}).eval()
        downsample = net.downsample_layers[1]
        with torch.no_grad():
            downsample[0].bias.copy_(torch.arange(4.0))
            x = torch.randn(1, 4, 3, 3)
            padded_norm = downsample[0](torch.nn.functional.pad(x, (0, 1, 0, 1)))
            # The padded column passes through LN: LN(0) + bias = bias, not 0 (T14).
            self.assertTrue(torch.allclose(padded_norm[0, :, 3, 3], torch.arange(4.0)))
            out = downsample(x)
        self.assertEqual(tuple(out.shape), (1, 6, 2, 2))
        expected = torch.nn.functional.conv2d(padded_norm, downsample[1].weight, downsample[1].bias, stride=2)
        torch.testing.assert_close(out, expected)


if __name__ == '__main__':
    unittest.main()
