#!/usr/bin/env bash
# Make sure the system programs the test suite needs are present: PostgreSQL server binaries,
# Chromium and poppler's PDF tools. As root, install what is missing with apt-get; otherwise stop with one line
# naming the package to install. Nothing is ever skipped silently.
set -euo pipefail

missing=()
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  missing+=(chromium)
fi
# pdftoppm and pdftotext: PDF tests render pages to images and read where each word landed.
if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  missing+=(poppler-utils)
fi
# Fonts for screenshots and PDFs with Greek text.
if ! fc-list 2>/dev/null | grep -qi dejavu; then
  missing+=(fonts-dejavu-core)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing system packages: ${missing[*]} — install them (e.g. sudo apt-get install ${missing[*]}) and run make test again" >&2
exit 1
