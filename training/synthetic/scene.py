"""One synthetic panoptic scene: textured stuff bands under occluding, touching shapes.

Thing classes are shapes; every thing takes its colour from its shape's four palette
colours, and six of the ten palette colours belong to two shapes each, so colour narrows
the class to at most two shapes and the shape decides (with a palette shared by all shapes,
the demo network was still at chance between the shapes after 1000 steps). Two touching
instances of one class may look identical (the model has to separate them by geometry).
Stuff classes differ by texture (smooth gradient, per-pixel noise, brick pattern) with
jittered colours.
Everything is drawn from a numpy RandomState, so a scene is a pure function of its seed.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .classes import CLASS_ID, STUFF_TEXTURES, THING_SHAPES

# Sizes below are tuned at 129 px and scale with the image side.
_REFERENCE_SIDE = 129.0

THING_PALETTE = np.array(
    [
        (220, 40, 40), (40, 70, 220), (240, 210, 40), (40, 170, 70), (150, 60, 190),
        (250, 140, 30), (235, 235, 235), (40, 40, 40), (40, 200, 210), (230, 110, 170),
    ],
    dtype=np.float32,
)
# Palette indices per thing shape (THING_SHAPES order): disc, square, triangle, cross.
SHAPE_COLOURS = ((0, 1, 2, 6), (1, 3, 4, 7), (2, 4, 5, 8), (3, 5, 6, 9))


@dataclass
class Scene:
    image: np.ndarray  # [H, W, 3] uint8 RGB
    panoptic: np.ndarray  # [H, W] int32 segment id, 0 = void
    segments: list  # [{'id', 'category_id' (contiguous), 'iscrowd'}]


def render_scene(seed: int, size: int) -> Scene:
    rng = np.random.RandomState(seed)
    scale = size / _REFERENCE_SIDE
    stuff_map = _stuff_layout(rng, size)
    image = np.zeros((size, size, 3), np.float32)
    for cls in np.unique(stuff_map):
        texture = _STUFF_PAINTERS[STUFF_TEXTURES[cls - CLASS_ID[STUFF_TEXTURES[0]]]](rng, size, scale)
        image[stuff_map == cls] = texture[stuff_map == cls]

    owner = np.full((size, size), -1, np.int32)
    things = []
    for shape_mask, cls in _thing_masks(rng, size, scale):
        owner[shape_mask] = len(things)
        things.append((cls, int(shape_mask.sum())))
    kept = []
    for i, (cls, full_area) in enumerate(things):
        visible = owner == i
        if visible.sum() < max(0.35 * full_area, 20 * scale * scale):
            owner[visible] = -1  # mostly hidden: the stuff underneath shows instead
            continue
        image[visible] = _thing_texture(rng, size, scale, cls)[visible]
        kept.append((cls, visible))

    panoptic = np.zeros((size, size), np.int32)
    segments = []
    for cls in np.unique(stuff_map):
        region = (stuff_map == cls) & (owner < 0)
        if region.sum() >= 40 * scale * scale:  # slivers stay void, as in real annotations
            segments.append({"id": len(segments) + 1, "category_id": int(cls), "iscrowd": 0})
            panoptic[region] = len(segments)
    for cls, visible in kept:
        segments.append({"id": len(segments) + 1, "category_id": int(cls), "iscrowd": 0})
        panoptic[visible] = len(segments)

    image += rng.normal(0.0, 4.0, image.shape)  # sensor noise, so flat regions are not exact
    return Scene(np.clip(image, 0, 255).astype(np.uint8), panoptic, segments)


# ---- stuff -------------------------------------------------------------------------


def _stuff_layout(rng, size):
    """Two or three horizontal bands with wavy borders, each a different stuff class."""
    classes = rng.permutation(len(STUFF_TEXTURES))[: rng.randint(2, 4)] + CLASS_ID[STUFF_TEXTURES[0]]
    cuts = np.sort(rng.uniform(0.25, 0.75, len(classes) - 1)) * size
    if len(cuts) == 2 and cuts[1] - cuts[0] < 0.2 * size:
        cuts[1] = cuts[0] + 0.2 * size
    x = np.arange(size)
    y = np.arange(size)[:, None]
    band = np.zeros((size, size), np.int32)
    for cut in cuts:
        wave = cut + rng.uniform(0.02, 0.08) * size * np.sin(2 * np.pi * x / (rng.uniform(0.4, 1.2) * size) + rng.uniform(0, 2 * np.pi))
        band += (y >= wave[None, :]).astype(np.int32)
    return classes[band].astype(np.int32)


def _jitter(rng, colour, amount):
    return np.clip(np.asarray(colour, np.float32) + rng.uniform(-amount, amount, 3), 0, 255)


def _paint_sky(rng, size, scale):
    tops = [(110, 170, 235), (150, 190, 250), (70, 110, 190), (245, 170, 120)]
    top = _jitter(rng, tops[rng.randint(len(tops))], 25)
    bottom = _jitter(rng, (225, 235, 245), 25)
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (size, size, 3)).copy()


def _paint_grass(rng, size, scale):
    bases = [(60, 140, 40), (100, 160, 60), (140, 150, 50), (50, 110, 70)]
    base = _jitter(rng, bases[rng.randint(len(bases))], 20)
    light = rng.normal(0.0, 30.0, (size, size, 1)).astype(np.float32)
    return base + light * np.array([0.6, 1.0, 0.4], np.float32)


def _paint_brick(rng, size, scale):
    bases = [(160, 70, 50), (180, 100, 70), (130, 120, 110), (120, 60, 60)]
    base = _jitter(rng, bases[rng.randint(len(bases))], 20)
    mortar = _jitter(rng, (205, 200, 190), 15)
    height = max(3, int(round(rng.uniform(5, 8) * scale)))
    width = 2 * height + int(round(rng.uniform(0, 4) * scale))
    y, x = np.mgrid[0:size, 0:size]
    row = y // height
    shifted = x + (row % 2) * (width // 2)
    brick = row * 1000 + shifted // width
    image = base + rng.uniform(-20, 20, (brick.max() + 1, 1)).astype(np.float32)[brick]
    joint = (y % height == 0) | (shifted % width == 0)
    image[joint] = mortar
    return image


_STUFF_PAINTERS = {"sky": _paint_sky, "grass": _paint_grass, "brick": _paint_brick}


# ---- things ------------------------------------------------------------------------


def _thing_masks(rng, size, scale):
    """3..7 shapes; some placed next to an earlier one so they touch or overlap it."""
    centres = []
    for _ in range(rng.randint(3, 8)):
        cls = CLASS_ID[THING_SHAPES[rng.randint(len(THING_SHAPES))]]
        # At least 3 stride-8 cells across at 129 px: the kMaX layers cluster at strides 32..8.
        radius = rng.uniform(12, 24) * scale
        if centres and rng.rand() < 0.4:
            px, py, pr = centres[rng.randint(len(centres))]
            angle = rng.uniform(0, 2 * np.pi)
            distance = (pr + radius) * rng.uniform(0.6, 1.0)
            cx, cy = px + distance * np.cos(angle), py + distance * np.sin(angle)
        else:
            cx, cy = rng.uniform(0.1, 0.9, 2) * size
        centres.append((cx, cy, radius))
        yield _shape_mask(THING_SHAPES[cls], cx, cy, radius, rng.uniform(0, 2 * np.pi), size), cls


def _shape_mask(shape, cx, cy, r, angle, size):
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    if shape == "disc":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=1)
    else:
        draw.polygon([tuple(p) for p in _outline(shape, r) @ _rotation(angle).T + (cx, cy)], fill=1)
    return np.asarray(canvas, bool)


def _outline(shape, r):
    if shape == "square":
        return 0.85 * r * np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], np.float64)
    if shape == "triangle":
        a = np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        return 1.15 * r * np.stack([np.cos(a), np.sin(a)], 1)
    w = 0.34  # cross: arm half-width relative to the arm length
    quarter = np.array([(1, -w), (1, w), (w, w)])
    return r * np.concatenate([quarter @ _rotation(k * np.pi / 2).T for k in range(4)])


def _rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def _thing_texture(rng, size, scale, cls):
    """Solid, striped or checked, in one of the shape's palette colours (and a darker shade)."""
    choices = SHAPE_COLOURS[cls - CLASS_ID[THING_SHAPES[0]]]
    colour = THING_PALETTE[choices[rng.randint(len(choices))]] + rng.uniform(-15, 15, 3)
    other = colour * 0.55
    kind = rng.randint(3)
    if kind == 0:
        return np.broadcast_to(colour, (size, size, 3)).copy()
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    period = rng.uniform(4, 8) * scale
    if kind == 1:
        a = rng.uniform(0, np.pi)
        on = ((x * np.cos(a) + y * np.sin(a)) // (period / 2)) % 2 == 0
    else:
        on = ((x // period) + (y // period)) % 2 == 0
    return np.where(on[..., None], colour, other).astype(np.float32)
