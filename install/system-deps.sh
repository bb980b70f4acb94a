#!/usr/bin/env bash
# System packages Suqiu needs on Debian. Installs them when run as root and any is missing;
# otherwise prints the exact apt-get line to run.
set -euo pipefail

PACKAGES=(
  python3-venv            # the virtual environment
  fonts-wqy-microhei      # Chinese text in Qt screenshots, the board and reports
  chromium                # the board page is tested in real headless Chromium
  libportaudio2           # sounddevice (microphone)
  espeak-ng               # the speaking voice on Linux (pyttsx3 driver and direct)
  libusb-1.0-0            # USB thermal printers (python-escpos via pyusb)
  poppler-utils           # pdffonts/pdftotext check the generated reports in tests
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-randr0 libxcb-shape0 libxcb-xkb1 xvfb   # Qt's xcb platform, for real windows under Xvfb
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "suqiu: not a Debian system; please install the equivalents of: ${missing[*]}" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "suqiu: missing system packages. Run as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 0
fi
echo "suqiu: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
