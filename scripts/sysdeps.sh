#!/bin/sh
# Install the Debian packages that aisec's media tools and their tests run against, only
# those that are missing. One "check package" pair per line below; a check is a command
# name, perl:Module::Name for a Perl module (ExifTool reads Office files with
# Archive::Zip, which Debian only recommends), tess:LANG for a Tesseract language's
# traineddata, or file:/path for a file a package installs (the CJK font the explicit
# labels are drawn with), or pg:PROGRAM for a PostgreSQL server program, which Debian
# keeps under /usr/lib/postgresql/<version>/bin (the store's tests start a real server).
#
# `sysdeps.sh build` installs only what building aisec needs (a C compiler and Hyperscan's
# C library, for aisec's compiled parts): `make setup` runs that part.
set -eu
BUILD_PAIRS='
cc gcc
file:/usr/include/hs/hs.h libhyperscan-dev
'
PAIRS="$BUILD_PAIRS"'
exiftool libimage-exiftool-perl
perl:Archive::Zip libarchive-zip-perl
ffprobe ffmpeg
tesseract tesseract-ocr
tess:chi_sim tesseract-ocr-chi-sim
espeak-ng espeak-ng
fc-match fontconfig
file:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc fonts-noto-cjk
pg:initdb postgresql
'
[ "${1:-}" = build ] && PAIRS="$BUILD_PAIRS"
missing=""
present() {
  case "$1" in
    perl:*) perl -M"${1#perl:}" -e1 >/dev/null 2>&1 ;;
    tess:*) tesseract --list-langs 2>/dev/null | grep -qx "${1#tess:}" ;;
    file:*) [ -f "${1#file:}" ] ;;
    pg:*) set -- /usr/lib/postgresql/*/bin/"${1#pg:}"; [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}
for pair in $(echo "$PAIRS" | tr ' ' '='); do
  check=${pair%%=*}
  pkg=${pair#*=}
  present "$check" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
