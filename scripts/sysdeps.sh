#!/bin/sh
# Install the Debian packages that aisec's tests and media tools run against, only
# those whose command is missing. One "command package" pair per line below.
set -eu
PAIRS='
exiftool libimage-exiftool-perl
ffprobe ffmpeg
'
missing=""
echo "$PAIRS" | { while read -r cmd pkg; do
    [ -z "$cmd" ] && continue
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  [ -z "$missing" ] && exit 0
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
