#!/bin/sh
# Make sure WeasyPrint can make PDFs (the privacy checklist, the register, subject exports):
# it needs Pango (libpango-1.0-0, libpangoft2-1.0-0) and a font (fonts-dejavu-core).
# Installs the Debian packages when one is missing and we run as root; otherwise says what
# to install. Idempotent and quiet when everything is there.
set -e
packages=""
has_library() {
  ldconfig -p 2>/dev/null | grep -q "$1" || ls /usr/lib/*/"$1" /usr/lib/"$1" >/dev/null 2>&1
}
has_library libpango-1.0.so.0 || packages="$packages libpango-1.0-0"
has_library libpangoft2-1.0.so.0 || packages="$packages libpangoft2-1.0-0"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages="$packages fonts-dejavu-core"
[ -z "$packages" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "PDF output needs:$packages; run as root 'apt-get install -y$packages' (see scripts/ensure-pdf.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # the package names are words
if ! apt-get install -y -qq $packages >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq $packages >/dev/null
fi
