"""Configs in the TS KMaXConfig JSON shape (src/model/config.ts, camelCase keys), and the
official variants the key test instantiates (values of src/model/presets.ts)."""
import json
from pathlib import Path

POSTPROCESS = {
    'coco_panoptic': {'pixelThreshold': 0.4, 'classThresholdThing': 0.7, 'classThresholdStuff': 0.5,
                      'overlapThreshold': 0.8, 'reorderClassWeight': 1.0, 'reorderMaskWeight': 1.0,
                      'thingAreaLimit': 400, 'stuffAreaLimit': 6400},
    'cityscapes_panoptic': {'pixelThreshold': 0.4, 'classThresholdThing': 0.5, 'classThresholdStuff': 0.3,
                            'overlapThreshold': 0.9, 'reorderClassWeight': 1.0, 'reorderMaskWeight': 0.0,
                            'thingAreaLimit': 256, 'stuffAreaLimit': 2048},
}

RESNET50 = {'type': 'resnet', 'variant': 'pytorch', 'stemChannels': 64, 'depths': [3, 4, 6, 3],
            'bottleneckChannels': [64, 128, 256, 512], 'outChannels': [256, 512, 1024, 2048]}
CONVNEXT_T = {'type': 'convnext', 'depths': [3, 3, 9, 3], 'dims': [96, 192, 384, 768]}
OFFICIAL_STAGES = [{'base': 512, 'blocks': 1, 'type': 'axial'}, {'base': 256, 'blocks': 5, 'type': 'axial'},
                   {'base': 128, 'blocks': 1, 'type': 'bottleneck'}, {'base': 64, 'blocks': 1, 'type': 'bottleneck'},
                   {'base': 32, 'blocks': 1, 'type': 'bottleneck'}]


def official_config(name: str, backbone: dict, dataset: str, inputs: list) -> dict:
    cityscapes = dataset == 'cityscapes_panoptic'
    return {
        'name': name, 'backbone': backbone,
        'pixelDecoder': {'inputs': inputs, 'stages': OFFICIAL_STAGES[:len(inputs)], 'axialHeads': 8},
        'transformerDecoder': {'numClusters': 256 if cityscapes else 128, 'queryChannels': 256,
                               'bottleneckChannels': 256, 'keyChannels': 128, 'valueChannels': 256,
                               'heads': 8, 'ffnChannels': 2048, 'layersPerStage': [2, 2, 2]},
        'predictor': {'headChannels': 256, 'embeddingChannels': 128},
        'numClasses': 19 if cityscapes else 133,
        'inputSize': [1025, 2049] if cityscapes else [1281, 1281],
        'processing': 'pytorch', 'postprocess': POSTPROCESS[dataset], 'dataset': dataset,
    }


FOUR_STAGE_INPUTS = ['res5', 'res4', 'res3', 'res2']
OFFICIAL = {
    'coco-r50': official_config('coco-r50', RESNET50, 'coco_panoptic', FOUR_STAGE_INPUTS),
    'coco-convnext-t': official_config('coco-convnext-t', CONVNEXT_T, 'coco_panoptic', FOUR_STAGE_INPUTS),
    'cityscapes-r50': official_config('cityscapes-r50', RESNET50, 'cityscapes_panoptic',
                                      ['res5', 'res4', 'res3', 'stem', 'res2']),
}


def load_config(path) -> dict:
    return json.loads(Path(path).read_text())
