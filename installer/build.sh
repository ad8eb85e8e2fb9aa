#!/usr/bin/env bash
# Build the desktop client bundle with PyInstaller: dist/crm-client/crm-client (one-dir).
# Uses the project's .venv (`make bundle` creates it); PYTHON=... picks another interpreter.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-.venv/bin/python}
QT_QPA_PLATFORM=offscreen "$python" installer/make_icon.py resources/icons/crm.svg build/icon
"$python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller installer/crm-client.spec
echo "Built $root/dist/crm-client/"
