#!/usr/bin/env bash
# Build a wheelhouse for an offline server install: the CRM wheel plus every dependency wheel.
# Run it on a machine with internet and the SAME Debian/Ubuntu release (Python version and
# CPU architecture must match the server's), then copy the directory to the server and run
#   deploy_onprem/install.sh --wheelhouse DIR
#
#   deploy_onprem/build-wheelhouse.sh [DIR]     (default: dist/wheelhouse)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${1:-$root/dist/wheelhouse}
python=${PYTHON:-python3}

mkdir -p "$target"
build_env=$(mktemp -d)
trap 'rm -rf "$build_env"' EXIT
# A throwaway venv with a current pip, so the system's pip version does not matter.
"$python" -m venv "$build_env"
"$build_env/bin/pip" install --quiet --upgrade pip
"$build_env/bin/pip" wheel --quiet --wheel-dir "$target" "${root}[server]"
# Prove the wheelhouse is complete: install from it alone into a fresh venv.
"$python" -m venv "$build_env/check"
"$build_env/check/bin/pip" install --quiet --no-index --find-links "$target" 'crm[server]'
"$build_env/check/bin/crm-server" --help >/dev/null
echo "Wheelhouse ready: $target ($(find "$target" -name '*.whl' | wc -l) wheels)"
