#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the project needs beyond Python wheels, but only those
# that are missing: on a prepared machine this is a no-op that needs neither root nor network.
#
#   .ci/system-deps.sh            everything `make test` / `.ci/run` need
#   .ci/system-deps.sh --runtime  only what `make demo` needs (venv, Qt libraries, CJK fonts)
#   .ci/system-deps.sh --windows  also what `make bundle-windows` needs (Wine, MinGW)
#
# "a|b" means either package will do (names differ between Debian and Ubuntu releases);
# the first one apt knows is installed.
set -euo pipefail

runtime=(
    python3-venv
    # Qt 6 (PySide6 wheels) on X11 and offscreen: GL/EGL, fonts, D-Bus, xkb and the xcb libraries
    libegl1 libgl1 "libglib2.0-0|libglib2.0-0t64" libfontconfig1 libfreetype6 libdbus-1-3
    libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 libxrender1 libxcb1 libxcb-cursor0
    libxcb-glx0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0
    libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1
    fonts-noto-cjk  # Chinese text in the UI and in screenshots
)
testing=(
    xvfb           # a display for the interactive-mode tests
    poppler-utils  # pdftotext/pdftoppm check generated documents
    binutils       # objdump, which PyInstaller needs to build the client bundle
    osslsigncode   # Authenticode: the update tests sign executables; sign.sh signs builds
    shellcheck     # `make lint` checks the shell scripts
    "postgresql|postgresql-15"  # server binaries and pg_virtualenv for the PostgreSQL run
    curl procps    # deploy_onprem/upgrade.sh's health check; its test's stand-in service
)
# PyInstaller bundles the interpreter's shared library: Debian ships it apart from python3.
python_version=$("${PYTHON:-python3}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
testing+=("libpython$python_version")

windows=(
    wine wine64            # PyInstaller for Windows runs under Wine (installer/windows/build.sh)
    gcc-mingw-w64-x86-64   # builds the Wine prefix's stand-ins (installer/windows/wine/)
    unzip                  # the embeddable Python's archive
    nsis                   # the installer (installer/windows/crm-client.nsi)
    wixl msitools          # the MSI (installer/windows/crm-client.wxs): wixl, msibuild
    locales                # zh_CN.UTF-8, so Wine runs the installers in Chinese (below)
)

packages=("${runtime[@]}")
if [[ "${1:-}" != "--runtime" ]]; then
    packages+=("${testing[@]}")
fi
if [[ "${1:-}" == "--windows" ]]; then
    packages+=("${windows[@]}")
fi

# Both checks capture the whole output before matching: `cmd | grep -q` under pipefail fails
# when grep exits at the first match and cmd dies of SIGPIPE on its remaining output.
installed() {
    local status
    status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
    [[ $status == installed ]]
}

installable() {
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null) || return 1
    local has_candidate='Candidate: [^(]'  # "Candidate: (none)" means apt cannot install it
    [[ $policy =~ $has_candidate ]]
}

missing=()
for choice in "${packages[@]}"; do
    IFS='|' read -r -a alternatives <<<"$choice"
    found=no
    for name in "${alternatives[@]}"; do
        if installed "$name"; then
            found=yes
            break
        fi
    done
    if [[ $found == no ]]; then
        missing+=("$choice")
    fi
done

# Wine takes its language from the C library's locale: the installer tests run it in Chinese.
chinese_locale() {
    [[ "${1:-}" == "--windows" ]] || return 0
    local have
    have=$(locale -a 2>/dev/null)
    [[ $have == *zh_CN.utf8* ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "Missing locale zh_CN.UTF-8; as root: localedef -i zh_CN -f UTF-8 zh_CN.UTF-8" >&2
        exit 1
    fi
    localedef -i zh_CN -c -f UTF-8 zh_CN.UTF-8
}

if ((${#missing[@]} == 0)); then
    chinese_locale "${1:-}"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them (as root): apt-get install ${missing[*]//|*/}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
to_install=()
for choice in "${missing[@]}"; do
    IFS='|' read -r -a alternatives <<<"$choice"
    chosen=""
    for name in "${alternatives[@]}"; do
        if installable "$name"; then
            chosen=$name
            break
        fi
    done
    if [[ -z $chosen ]]; then
        echo "No installable package among: $choice" >&2
        exit 1
    fi
    to_install+=("$chosen")
done
echo "Installing: ${to_install[*]}"
apt-get install -y -qq --no-install-recommends "${to_install[@]}"
chinese_locale "${1:-}"
