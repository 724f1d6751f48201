#!/usr/bin/env bash
# Fetch real (non-AI) images from Debian packages for calibrating the watermark threshold.
# Usage: bash tools/fetch_calibration_images.sh OUT_DIR   (needs apt-get; run `apt-get update` once first)
# Photographs: the desktop wallpaper packages; flat and synthetic images: opencv-doc's examples.
set -euo pipefail
out="${1:?usage: fetch_calibration_images.sh OUT_DIR}"
mkdir -p "$out/debs"
cd "$out/debs"
apt-get download mate-backgrounds gnome-backgrounds ukui-wallpapers plasma-workspace-wallpapers opencv-doc
for deb in *.deb; do
  dpkg -x "$deb" "$out/$(basename "$deb" .deb | cut -d_ -f1)"
done
echo "images: $(find "$out" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) | wc -l)"
