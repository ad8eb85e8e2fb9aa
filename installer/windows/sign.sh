#!/usr/bin/env bash
# Sign Windows executables and installers in place (Authenticode, SHA-256) with the
# certificate IT supplies, as a PKCS#12 file (.pfx) and its password:
#
#   CRM_SIGN_PFX=/secure/company-codesign.pfx CRM_SIGN_PASSWORD_FILE=/secure/pfx-password \
#       installer/windows/sign.sh FILE...
#
# CRM_SIGN_TIMESTAMP=URL adds a timestamp from that server (RFC 3161), which keeps the
# signature valid after the certificate expires; without it, no network is needed.
# package.sh calls it when CRM_SIGN_PFX is set (and names its output "-unsigned" when not).
# installer/README.md tells IT how to obtain the certificate.
set -euo pipefail
if [[ ! -r ${CRM_SIGN_PFX:-} ]]; then
    echo "sign.sh: cannot read the certificate $CRM_SIGN_PFX (CRM_SIGN_PFX)" >&2
    exit 1
fi
password=()
if [[ -n ${CRM_SIGN_PASSWORD_FILE:-} ]]; then
    password=(-readpass "$CRM_SIGN_PASSWORD_FILE")  # never on the command line (ps shows it)
fi
timestamp=()
if [[ -n ${CRM_SIGN_TIMESTAMP:-} ]]; then
    timestamp=(-ts "$CRM_SIGN_TIMESTAMP")
fi
for file in "$@"; do
    # Signing twice would nest signatures: an already signed file is re-signed from scratch.
    if osslsigncode remove-signature -in "$file" -out "$file.unsigned" >/dev/null 2>&1; then
        mv -f "$file.unsigned" "$file"
    fi
    rm -f "$file.unsigned"
    osslsigncode sign -pkcs12 "$CRM_SIGN_PFX" "${password[@]}" "${timestamp[@]}" \
        -h sha256 -n "CRM Client" -in "$file" -out "$file.signed" >/dev/null
    mv -f "$file.signed" "$file"
done
