"""state_dict keys, shapes, dtypes (and order) of our modules vs the official PT checkpoints."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from kmax_ref import OFFICIAL, KMaXDeepLab  # noqa: E402

KEYS = Path(__file__).parent / 'official_keys'


def differences(config: dict, keys_file: str) -> list:
    expected = json.loads((KEYS / keys_file).read_text())['keys']
    state = KMaXDeepLab(config).state_dict()
    problems = [f'missing {k}' for k in expected if k not in state]
    problems += [f'unexpected {k}' for k in state if k not in expected]
    for name, tensor in state.items():
        if name in expected:
            want = expected[name]
            if list(tensor.shape) != want['shape'] or str(tensor.dtype).replace('torch.', '') != want['dtype']:
                problems.append(f'{name}: {list(tensor.shape)} {tensor.dtype} != {want["shape"]} {want["dtype"]}')
    if not problems and list(state) != list(expected):
        problems.append('same keys, different order')
    return problems


class OfficialKeys(unittest.TestCase):
    def test_coco_r50(self):
        self.assertEqual(differences(OFFICIAL['coco-r50'], 'kmax_r50_keys.json'), [])

    def test_coco_convnext_tiny(self):
        self.assertEqual(differences(OFFICIAL['coco-convnext-t'], 'kmax_convnext_tiny_keys.json'), [])

    def test_cityscapes_r50_count_and_identity_fuse(self):
        # Spec 8.1: 1377 keys, 14 of them in the 3-module auxiliary head; T10: no _conv_bn_high in fuse 2.
        state = KMaXDeepLab(OFFICIAL['cityscapes-r50']).state_dict()
        self.assertEqual(len(state), 1377)
        self.assertEqual(len([k for k in state if '_auxiliary_semantic_predictor' in k]), 14)
        self.assertNotIn('sem_seg_head.pixel_decoder._resized_fuses.2._conv_bn_high.conv.weight', state)
        self.assertEqual(list(state['sem_seg_head.pixel_decoder._in_norms.3.weight'].shape), [64])
        self.assertEqual(list(state['sem_seg_head.predictor._predcitor._pixel_space_head_conv0bnact.conv.weight'].shape),
                         [128, 1, 5, 5])

    def test_normalisation_constants(self):
        # T18: BN eps 1e-3 everywhere; LN eps 1e-6 (ConvNeXt blocks; channel LNs use LN_EPS).
        from torch import nn
        from kmax_ref.layers import LN_EPS
        for config in (OFFICIAL['coco-convnext-t'], OFFICIAL['cityscapes-r50']):
            for module in KMaXDeepLab(config).modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    self.assertEqual(module.eps, 1e-3)
                if isinstance(module, nn.LayerNorm):
                    self.assertEqual(module.eps, 1e-6)
        self.assertEqual(LN_EPS, 1e-6)

    def test_tf_variant_shares_the_layout(self):
        config = dict(OFFICIAL['coco-r50'], backbone=dict(OFFICIAL['coco-r50']['backbone'], variant='tf'))
        self.assertEqual(differences(config, 'kmax_r50_keys.json'), [])


if __name__ == '__main__':
    unittest.main()
