"""The synthetic_panoptic class list: things first, then stuff (COCO's convention).

`id` is the contiguous class index (row of the class head, void last);
`dataset_id` is the category id written into the COCO panoptic JSON.
"""

THING_SHAPES = ("disc", "square", "triangle", "cross")
STUFF_TEXTURES = ("sky", "grass", "brick")

# Display colours only; the rendered objects take their colours from PALETTE.
_DISPLAY_COLOURS = {
    "disc": (220, 20, 60),
    "square": (0, 0, 142),
    "triangle": (250, 170, 30),
    "cross": (119, 11, 32),
    "sky": (70, 130, 180),
    "grass": (107, 142, 35),
    "brick": (150, 100, 100),
}

CLASSES = [
    {
        "id": i,
        "dataset_id": i + 1,
        "name": name,
        "isthing": name in THING_SHAPES,
        "color": list(_DISPLAY_COLOURS[name]),
    }
    for i, name in enumerate(THING_SHAPES + STUFF_TEXTURES)
]

NUM_CLASSES = len(CLASSES)
CLASS_ID = {c["name"]: c["id"] for c in CLASSES}
THING_IDS = frozenset(c["id"] for c in CLASSES if c["isthing"])


def dataset_entry():
    """The entry for src/datasets/kmax-datasets.json under the key 'synthetic_panoptic'."""
    return {
        "num_classes": NUM_CLASSES,
        "void_index": NUM_CLASSES,
        "num_things": len(THING_SHAPES),
        "num_stuff": len(STUFF_TEXTURES),
        "tf_class_head_order_same_as_pytorch": True,
        "classes": CLASSES,
    }
