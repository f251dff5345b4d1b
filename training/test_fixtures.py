"""The committed fixtures are self-consistent and well-conditioned: each checkpoint, loaded into
a model built from its config.json and run in float64, reproduces every golden tensor from
test-image.png; the same weights run in float32 stay within the conditioning bounds, so a
float32 engine can be held to the goldens."""
import json
import sys
import unittest
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from kmax_ref import KMaXDeepLab, load_config  # noqa: E402
from kmax_ref.postprocess import masks_to_original, panoptic_inference, semantic_inference  # noqa: E402
from kmax_ref.preprocess import preprocess  # noqa: E402
from make_fixtures import (DATASETS, FIXTURES, MAX_RELATIVE_ERROR, MIN_CLUSTERS, MIN_FOREGROUND_MARGIN,  # noqa: E402
                           MIN_MARGIN, ROOT, WITHOUT_MASKED, argmax_margin, conditioning, fixture_modes,
                           foreground_margin, hwc, run_float64)


def load(folder: Path):
    """(config, float32 model, preprocessed test image) from the fixture's own files."""
    config = load_config(folder / 'config.json')
    model = KMaXDeepLab(config)
    checkpoint = torch.load(folder / 'checkpoint.pth')
    model.load_state_dict(checkpoint['model'], strict=True)
    image = np.asarray(Image.open(ROOT / 'test-image.png').convert('RGB'))
    return config, model.eval(), image


def regenerate(folder: Path) -> dict:
    """Golden name -> array, recomputed in float64 from the fixture's own files."""
    config, model, image = load(folder)
    modes = fixture_modes(folder.name)
    x = preprocess(image, config['inputSize'])
    double = model.double()
    things = {c['id'] for c in DATASETS[config['dataset']]['classes'] if c['isthing']}
    result = {'input': hwc(x)}
    for mode in modes:
        prefix = '' if mode == 'kmeans' else f'{mode}/'
        out = run_float64(double, x, mode)
        for name, feature in out['features'].items():
            result[f'backbone/{name}'] = hwc(feature)
        for index, stage in enumerate(out['decoder']):
            result['pixel_decoder/' + ['os32', 'os16', 'os8', 'os4', 'stage4'][index]] = hwc(stage)
        for index, layer in enumerate(out['layers']):
            result[f'{prefix}stage{index}/class_logits'] = layer['class_logits'][0].numpy()
            result[f'{prefix}stage{index}/mask_logits'] = hwc(layer['mask_logits'])
            assignment, margin = argmax_margin(layer['mask_logits'])
            result[f'{prefix}stage{index}/assignment'] = assignment.numpy()
            result[f'{prefix}stage{index}/margin'] = margin.numpy()
            result[f'{prefix}stage{index}/foreground_margin'] = foreground_margin(layer['mask_logits']).numpy()
        result[f'{prefix}pred_logits'] = out['pred_logits'][0].numpy()
        result[f'{prefix}pred_masks'] = hwc(out['pred_masks'])
        masks = masks_to_original(out['pred_masks'][0], config['inputSize'], image.shape[:2])
        result[f'{prefix}panoptic'] = panoptic_inference(out['pred_logits'][0], masks, things, config['postprocess'])[0].numpy()
        result[f'{prefix}semantic'] = semantic_inference(out['pred_logits'][0], masks).numpy()
    return result


class Fixtures(unittest.TestCase):
    def test_every_golden_is_reproduced(self):
        for name in FIXTURES:
            folder = ROOT / name
            index = json.loads((folder / 'golden' / 'index.json').read_text())
            fresh = regenerate(folder)
            required = ['input', 'backbone/res2', 'backbone/res5', 'pixel_decoder/os4', 'stage5/assignment',
                        'stage0/margin', 'pred_logits', 'pred_masks', 'softmax/pred_masks',
                        'cluster-softmax/stage3/mask_logits']
            if 'masked' in fixture_modes(name):
                required += ['masked/stage5/mask_logits', 'masked/pred_masks', 'masked/stage2/foreground_margin']
            if load_config(folder / 'config.json')['processing'] == 'pytorch':
                required += ['panoptic', 'semantic', 'softmax/panoptic', 'cluster-softmax/panoptic']
                required += ['masked/panoptic'] if 'masked' in fixture_modes(name) else []
            for key in required:
                self.assertIn(key, index, f'{name}: {key}')
            for key, entry in index.items():
                stored = np.load(folder / 'golden' / entry['file'])
                self.assertEqual(list(stored.shape), entry['shape'], f'{name}/{key}')
                self.assertEqual(str(stored.dtype), entry['dtype'], f'{name}/{key}')
                if stored.dtype == np.int32:
                    np.testing.assert_array_equal(stored, fresh[key], err_msg=f'{name}/{key}')
                else:
                    # float64 goldens stored as float32: only the final rounding differs.
                    np.testing.assert_allclose(stored, fresh[key], rtol=1e-6, atol=1e-6, err_msg=f'{name}/{key}')

    def test_float32_stays_within_the_conditioning_bounds(self):
        for name in FIXTURES:
            config, model, image = load(ROOT / name)
            report = conditioning(model, preprocess(image, config['inputSize']), fixture_modes(name))
            for mode, entry in report.items():
                self.assertGreaterEqual(len(entry['relative_error']), 5 + 4 + 12 + 2, f'{name} {mode}')
                for output, relative in entry['relative_error'].items():
                    self.assertLessEqual(relative, MAX_RELATIVE_ERROR, f'{name} {mode} {output}')
                    self.assertGreater(relative, 0.0, f'{name} {mode} {output}: not run in two precisions')
            for layer, (margin, clusters) in enumerate(zip(report['kmeans']['min_margin'], report['kmeans']['clusters'])):
                self.assertGreaterEqual(margin, MIN_MARGIN, f'{name} layer {layer}')
                self.assertGreaterEqual(clusters, MIN_CLUSTERS, f'{name} layer {layer}')
            for layer, margin in enumerate(report.get('masked', {}).get('min_foreground_margin', [])):
                self.assertGreaterEqual(margin, MIN_FOREGROUND_MARGIN, f'{name} masked layer {layer}')

    def test_checkpoints_have_the_official_envelope(self):
        for name in FIXTURES:
            checkpoint = torch.load(ROOT / name / 'checkpoint.pth')
            self.assertEqual(sorted(checkpoint), ['iteration', 'model'])
            keys = list(checkpoint['model'])
            self.assertTrue(any(k.endswith('num_batches_tracked') for k in keys))
            self.assertTrue(any('_auxiliary_semantic_predictor' in k for k in keys))
            self.assertTrue(any('._predcitor.' in k for k in keys))

    def test_k_means_margins_clear_float_noise(self):
        for name in FIXTURES:
            for stage in range(6):
                margin = np.load(ROOT / name / 'golden' / f'stage{stage}' / 'margin.npy')
                self.assertGreaterEqual(float(margin.min()), MIN_MARGIN * (1 - 1e-6), f'{name} stage{stage}')

    def test_masked_foregrounds_clear_float_noise(self):
        """No mask probability near 0.5 in masked mode, where the foreground is fed back; and a
        fixture without masked goldens is one whose committed weights really miss the bound."""
        with_masked = [name for name in FIXTURES if 'masked' in fixture_modes(name)]
        self.assertEqual(len(with_masked), 3)
        for name in with_masked:
            for stage in range(6):
                margin = np.load(ROOT / name / 'golden' / 'masked' / f'stage{stage}' / 'foreground_margin.npy')
                self.assertGreaterEqual(float(margin.min()), MIN_FOREGROUND_MARGIN * (1 - 1e-6), f'{name} stage{stage}')
        for name in WITHOUT_MASKED:
            config, model, image = load(ROOT / name)
            out = run_float64(model.double(), preprocess(image, config['inputSize']), 'masked')
            worst = min(float(foreground_margin(layer['mask_logits']).min()) for layer in out['layers'])
            self.assertLess(worst, MIN_FOREGROUND_MARGIN, name)


if __name__ == '__main__':
    unittest.main()
