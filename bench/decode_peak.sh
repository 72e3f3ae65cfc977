#!/usr/bin/env bash
# The image budget's model against what decoding really takes: makes photos
# of the kinds people send (baseline and progressive JPEG, 4:2:0 and 4:4:4,
# CMYK, PNG with and without alpha) at the sizes around the budget, inspects
# each in a process of its own (a release build of examples/decode_peak.rs)
# and prints the model's figure, the measured rise of the memory high-water
# mark, and whether it was decoded or refused. The model must never be
# below the measurement. Needs Python's Pillow to write the JPEGs.
#   bash bench/decode_peak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import PIL' 2>/dev/null || pip install -q pillow
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import sys
from PIL import Image, ImageFile
ImageFile.MAXBLOCK = 1 << 28  # progressive noise needs the whole file in one block
d = sys.argv[1]
def noise(w, h):
    return Image.merge('RGB', [Image.effect_noise((w, h), 64) for _ in range(3)])
p12, p16, p24 = noise(4000, 3000), noise(4000, 4000), noise(6000, 4000)
p12.save(f'{d}/12mp-baseline.jpg', quality=90)
p12.save(f'{d}/12mp-progressive.jpg', quality=90, progressive=True)
p16.save(f'{d}/16mp-progressive.jpg', quality=90, progressive=True)
p16.save(f'{d}/16mp-progressive-444.jpg', quality=90, progressive=True, subsampling=0)
p16.convert('CMYK').save(f'{d}/16mp-cmyk.jpg', quality=90)
p12.convert('CMYK').save(f'{d}/12mp-cmyk-progressive.jpg', quality=90, progressive=True)
p24.save(f'{d}/24mp-baseline.jpg', quality=90)
p24.save(f'{d}/24mp-progressive.jpg', quality=90, progressive=True)
Image.new('RGB', (4900, 4900)).save(f'{d}/24mp-rgb.png')
Image.new('RGBA', (4800, 4800)).save(f'{d}/23mp-rgba.png')
PY
cargo build -q --release --features ssr --example decode_peak
for f in "$dir"/*; do target/release/examples/decode_peak "$f"; done
