#!/usr/bin/env bash
# Install the CRM server on a Debian/Ubuntu machine with a local PostgreSQL. Run as root.
#
#   deploy_onprem/install.sh [--wheelhouse DIR] [--host NAME_OR_IP]... [--port N] [--admin NAME]
#
#   --wheelhouse DIR  install from the wheels build-wheelhouse.sh made (no internet needed);
#                     default: from this source tree (pip then needs PyPI or a mirror)
#   --host NAME       a name or address clients use, repeatable; they go into the server
#                     certificate (default: this machine's names and addresses)
#   --port N          HTTPS port (default 8443; below 1024 adds the one capability it needs)
#   --admin NAME      first administrator (default admin); the password is asked for, or
#                     taken from CRM_ADMIN_PASSWORD
#
# Result: program in /opt/crm/releases/<version> (a virtualenv; /opt/crm/current and
# /opt/crm/bin/crm-server point to it, releases.sh), data in /var/lib/crm (config, TLS keys,
# attachments, backups), database "crm" owned by role "crm" (password in /etc/crm/db-password),
# and the crm-server systemd service running as user crm. Re-running keeps data, keys and
# config; upgrades go through upgrade.sh (backup, install, migrate, roll back on failure).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy_onprem/releases.sh
source "$here/releases.sh"
prefix=$(realpath -m /opt/crm)
data_dir=/var/lib/crm
service=crm-server
wheelhouse=""
port=8443
admin="admin"
host_args=()

die() {
    echo "install.sh: $*" >&2
    exit 1
}
step() {
    printf '\n== %s\n' "$*"
}

while (($#)); do
    case $1 in
    --wheelhouse) wheelhouse=$(cd "${2:?}" && pwd) && shift 2 ;;
    --host) host_args+=(--host "${2:?}") && shift 2 ;;
    --port) port=${2:?} && shift 2 ;;
    --admin) admin=${2:?} && shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ $EUID -eq 0 ]] || die "run as root"
command -v apt-get >/dev/null || die "this script is for Debian/Ubuntu"
if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
    die "bad port $port"
fi

step "System packages"
missing=()
for package in python3-venv postgresql curl; do  # curl: upgrade.sh's health check
    dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed ||
        missing+=("$package")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# The distribution's Python (python3-venv belongs to it), not one on root's PATH that the
# crm user might not be able to read (pyenv, conda in /root).
python=/usr/bin/python3
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "Python 3.11 or newer is needed (Debian 12, Ubuntu 24.04)"

step "Service user and data directory"
if ! id -u crm >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$data_dir" --no-create-home \
        --shell /usr/sbin/nologin --comment "CRM server" crm
fi
install -d -o crm -g crm -m 0750 "$data_dir"

step "Program in $prefix"
if [[ -n $wheelhouse ]]; then
    version=$(wheelhouse_version "$wheelhouse")
    [[ -n $version ]] || die "$wheelhouse holds no crm wheel (build-wheelhouse.sh makes one)"
else
    version=$("$python" -c 'import sys, tomllib
print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$(dirname "$here")/pyproject.toml")
fi
previous=$(active_release "$prefix")
release=$(release_dir "$prefix" "$version")
install_release "$python" "$release" "$wheelhouse" "$(dirname "$here")"
activate_release "$prefix" "$release"
prune_releases "$prefix" "$release" "$previous"
install -m 0644 "$here/RUNBOOK.md" "$here/DISASTER-RECOVERY.md" "$prefix/"

step "PostgreSQL database"
database_url=$("$here/pg-setup.sh")

step "Data directory $data_dir"
admin_args=(--admin "$admin")
if [[ -n ${CRM_ADMIN_PASSWORD:-} ]]; then
    admin_args+=(--admin-password-env CRM_ADMIN_PASSWORD)
fi
# The URL (with the database password) travels in the environment, not on a command line.
CRM_DATABASE_URL=$database_url runuser -u crm -- "$prefix/bin/crm-server" init "$data_dir" \
    --bind 0.0.0.0 --port "$port" "${host_args[@]}" "${admin_args[@]}"

step "Service $service"
install -m 0644 "$here/crm-server.service" "/etc/systemd/system/$service.service"
dropin=/etc/systemd/system/$service.service.d/low-port.conf
if ((port < 1024)); then
    install -d "$(dirname "$dropin")"
    printf '[Service]\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n%s\n' \
        "AmbientCapabilities=CAP_NET_BIND_SERVICE" >"$dropin"
else
    rm -f "$dropin"
fi
if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    systemctl enable --quiet "$service"
    systemctl restart "$service"
    systemctl --no-pager --lines=5 status "$service" || die "the service did not start"
else
    echo "systemd is not running here: start the server with"
    echo "  runuser -u crm -- $prefix/bin/crm-server run --data-dir $data_dir"
fi

step "Done"
echo "Clients connect to https://$(hostname --fqdn):$port (open the port in the firewall)."
echo "Give users this CA fingerprint to compare when the client asks them to trust the server:"
runuser -u crm -- "$prefix/bin/crm-server" fingerprint --data-dir "$data_dir"
