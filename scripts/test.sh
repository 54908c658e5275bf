#!/usr/bin/env bash
# Install everything the tests need, then run them. The README's test command.
#   bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# LibreOffice headless (with its Python-UNO bridge and a CJK font) checks what a
# recipient without Python sees; poppler-utils reads back the 公示 PDF (pdftotext,
# pdftoppm); Carlito gives Calibri's column widths. Installed from Debian's packages when missing.
if ! command -v soffice >/dev/null 2>&1 || [ ! -f /usr/lib/python3/dist-packages/uno.py ] || ! command -v pdftotext >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  echo "== installing LibreOffice (Debian packages libreoffice-calc, python3-uno, poppler-utils)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    libreoffice-calc python3-uno fonts-wqy-zenhei fonts-crosextra-carlito poppler-utils >/dev/null
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing starbook with its test dependencies"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
echo "== running the tests"
exec .venv/bin/python -m pytest "$@"
