#!/usr/bin/env bash
# Package the Windows client bundle (build.sh's dist/windows/crm-client/) for IT:
#
#   dist/windows/crm-client-setup-VERSION.exe  NSIS installer (options: crm-client.nsi)
#   dist/windows/crm-client-VERSION.msi        for group-policy deployment (crm-client.wxs)
#
# Both are signed, and the client's executable inside them, when CRM_SIGN_PFX names IT's
# code-signing certificate (sign.sh); otherwise their names end in "-unsigned". The bundle
# is signed in a staging copy: dist/windows/crm-client/ stays as built.
#
#   installer/windows/package.sh [--version X.Y.Z]   (another version: for test builds only)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' client/crm_client/__init__.py)
if [[ ${1:-} == --version ]]; then
    version=${2:-}
fi
if [[ ! $version =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,5}$ ]]; then
    echo "package.sh: the version must read X.Y.Z (Windows Installer's limits): '$version'" >&2
    exit 2
fi
bundle=dist/windows/crm-client
if [[ ! -f $bundle/crm-client.exe ]]; then
    echo "package.sh: no bundle in $bundle: run installer/windows/build.sh first" >&2
    exit 2
fi
stage=build/windows/stage
signer=$root/installer/windows/sign.sh
suffix=-unsigned
if [[ -n ${CRM_SIGN_PFX:-} ]]; then
    suffix=""
fi

rm -rf "$stage"
mkdir -p "$stage"
cp -a "$bundle" "$stage/crm-client"
if [[ -z $suffix ]]; then
    "$signer" "$stage/crm-client/crm-client.exe"
fi
rm -f dist/windows/crm-client-setup-"$version"{,-unsigned}.exe
rm -f dist/windows/crm-client-"$version"{,-unsigned}.msi

# The installer; makensis signs it and its uninstaller itself (!finalize, !uninstfinalize).
setup=$root/dist/windows/crm-client-setup-$version$suffix.exe
sign_define=()
if [[ -z $suffix ]]; then
    sign_define=("-DSIGN_COMMAND=\"$signer\" \"%1\"")
fi
makensis -V2 -INPUTCHARSET UTF8 "-DVERSION=$version" "-DBUNDLE=$root/$stage/crm-client" \
    "-DICON=$root/build/icon/crm.ico" "-DOUTFILE=$setup" "${sign_define[@]}" \
    installer/windows/crm-client.nsi

# The MSI: every file of the bundle as a component (wixl-heat), the rest in crm-client.wxs.
msi=$root/dist/windows/crm-client-$version$suffix.msi
(cd "$stage" && find crm-client -type f | sort) \
    | wixl-heat --prefix crm-client/ --var var.SourceDir --component-group ClientFiles \
        --directory-ref INSTALLDIR --win64 >"$stage/files.wxs"
# wixl resolves relative paths only.
wixl --arch x64 --define Win64=yes --define "Version=$version" \
    --define "SourceDir=$stage/crm-client" --define IconFile=build/icon/crm.ico \
    --output "$msi" installer/windows/crm-client.wxs "$stage/files.wxs"
# The properties IT passes are Secure (also passed to a managed, elevated installation).
msibuild "$msi" -q "UPDATE Property SET Value = \
'WIX_DOWNGRADE_DETECTED;WIX_UPGRADE_DETECTED;SERVER;CAFINGERPRINT;PREVIOUS_SERVER;PREVIOUS_CAFINGERPRINT' \
WHERE Property = 'SecureCustomProperties'"
if [[ -z $suffix ]]; then
    "$signer" "$msi"
fi
echo "Packaged $setup ($(du -h "$setup" | cut -f1)) and $msi ($(du -h "$msi" | cut -f1))"
