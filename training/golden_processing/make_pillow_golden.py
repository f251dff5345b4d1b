"""Golden data for src/segmenter/preprocess/pillow-resize.ts.

Random uint8 images resized with Pillow's BILINEAR (the resampler detectron2's
ResizeTransform uses for uint8 images). RGBA inputs go through convert("RGB") first,
as detectron2's read_image does. Run with /usr/bin/python3 (Pillow 9.4):

    /usr/bin/python3 training/golden_processing/make_pillow_golden.py
"""
import json
import os

import numpy as np
import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pillow")

# (name, channels, in_w, in_h, out_w, out_h)
CASES = [
    ("enlarge_odd", 3, 37, 23, 64, 41),
    ("shrink_odd", 3, 97, 61, 30, 19),
    ("height_only", 3, 50, 40, 50, 77),
    ("rgba_mixed", 4, 45, 33, 20, 70),
    ("shrink_wide_support", 3, 200, 150, 41, 31),
    ("enlarge_1281_style", 3, 80, 60, 161, 121),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20220707)
    manifest = {"pillow": PIL.__version__, "cases": []}
    for name, channels, w, h, ow, oh in CASES:
        # Smooth gradients plus noise, so both flat and busy regions are exercised.
        yy, xx = np.mgrid[0:h, 0:w]
        base = (xx * 255 // max(w - 1, 1) + yy * 255 // max(h - 1, 1)) // 2
        noise = rng.integers(-60, 61, size=(h, w, channels))
        pixels = np.clip(base[..., None] + noise, 0, 255).astype(np.uint8)
        mode = "RGB" if channels == 3 else "RGBA"
        image = Image.fromarray(pixels, mode).convert("RGB")
        resized = np.asarray(image.resize((ow, oh), Image.BILINEAR), dtype=np.uint8)
        pixels.tofile(os.path.join(OUT, f"{name}.in.bin"))
        resized.tofile(os.path.join(OUT, f"{name}.out.bin"))
        manifest["cases"].append(
            {"name": name, "channels": channels, "width": w, "height": h, "outWidth": ow, "outHeight": oh}
        )
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
