#!/usr/bin/env bash
# Upgrade the CRM server from the offline wheelhouse of a new version (build-wheelhouse.sh).
# Run as root. Any failure after the backup puts the old version and that backup back.
#
#   deploy_onprem/upgrade.sh --wheelhouse DIR
#
# 1. Checks: root, the service, free space, the wheelhouse holds crm of a version no older
#    than the installed one (a downgrade is refused).
# 2. A backup with the installed version (crm-server backup --kind pre-upgrade, TLS keys
#    included), while the server still serves.
# 3. The new version into a virtualenv of its own, /opt/crm/releases/<version>, next to the
#    old one (deploy_onprem/releases.sh); the service stops; /opt/crm/current points to it.
# 4. crm-server migrate with the new version (all of it or nothing), start, and wait for
#    /api/v1/health to answer "ok".
# 5. On a failure in 3 or 4: stop, current back to the old release, crm-server restore of the
#    backup with the old version, start, health check; the script says what happened and
#    where the backup is, and exits 1 (2 when even the rollback failed).
#
# Environment (another layout, or a test without systemd and root):
#   CRM_PREFIX (/opt/crm)  CRM_DATA_DIR (/var/lib/crm)  CRM_SERVICE (crm-server)
#   CRM_USER (crm; the commands run as this user when the script runs as root)
#   CRM_SERVICE_CTL (systemctl; called as "CTL start|stop|is-active SERVICE"; when set, the
#   script also runs without root)  CRM_PYTHON (/usr/bin/python3)
#   CRM_HEALTH_TIMEOUT (seconds the new server has to answer "ok"; 90)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy_onprem/releases.sh
source "$here/releases.sh"
prefix=$(realpath -m "${CRM_PREFIX:-/opt/crm}")
data_dir=${CRM_DATA_DIR:-/var/lib/crm}
service=${CRM_SERVICE:-crm-server}
user=${CRM_USER:-crm}
service_ctl=${CRM_SERVICE_CTL:-systemctl}
python=${CRM_PYTHON:-/usr/bin/python3}
health_timeout=${CRM_HEALTH_TIMEOUT:-90}
wheelhouse=""

die() {
    echo "upgrade.sh: $*" >&2
    exit 1
}
step() {
    printf '\n== %s\n' "$*"
}
as_user() {
    if ((EUID == 0)); then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}
ctl() {
    "$service_ctl" "$1" "$service"
}

# Wait until release $1's server answers /api/v1/health with status "ok".
healthy() {
    local release=$1 port ca deadline answer
    read -r port ca < <(as_user "$release/bin/python" -I -c '
import sys
from pathlib import Path
from crm_server.settings import load_settings
settings = load_settings(Path(sys.argv[1]))
print(settings.port, settings.path(settings.tls_ca_cert))' "$data_dir") || return 1
    deadline=$((SECONDS + health_timeout))
    while ((SECONDS < deadline)); do
        answer=$(curl --silent --max-time 5 --cacert "$ca" \
            "https://localhost:$port/api/v1/health" 2>/dev/null) || answer=""
        if [[ $answer == *'"status":"ok"'* ]]; then
            echo "healthy: $answer"
            return 0
        fi
        sleep 2
    done
    echo "no healthy answer within ${health_timeout}s (last: ${answer:-none})" >&2
    return 1
}

# The new release: installed, made current, migrated, started, healthy.
upgrade_to() {
    local new=$1
    step "Installing $new_version into $new"
    install_release "$python" "$new" "$wheelhouse" || return 1
    step "Stopping $service"
    ctl stop || return 1
    activate_release "$prefix" "$new" || return 1
    step "Migrating the database with $new_version"
    as_user "$new/bin/crm-server" migrate --no-backup --data-dir "$data_dir" || return 1
    step "Starting $service"
    ctl start || return 1
    healthy "$new"
}

# Back to the old release and the backup; exits.
roll_back() {
    local old=$1 new=$2 archive=$3
    step "ROLLING BACK to $old_version and the backup $archive"
    ctl stop || true
    if activate_release "$prefix" "$old" &&
        as_user "$old/bin/crm-server" restore "$archive" --yes --data-dir "$data_dir" &&
        ctl start && healthy "$old"; then
        [[ $new == "$old" ]] || rm -rf "$new"
        echo "upgrade.sh: the upgrade to $new_version FAILED; version $old_version runs" \
            "again with the data of the backup $archive (taken just before)." >&2
        exit 1
    fi
    echo "upgrade.sh: the upgrade to $new_version FAILED and so did the rollback." \
        "The backup taken before the upgrade is $archive; the old program is $old." \
        "Restore by hand (RUNBOOK.md, DISASTER-RECOVERY.md)." >&2
    exit 2
}

while (($#)); do
    case $1 in
    --wheelhouse) wheelhouse=$(cd "${2:?}" && pwd) && shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' && exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ -n $wheelhouse ]] || die "--wheelhouse DIR is needed (see --help)"

step "Checks"
[[ $EUID -eq 0 || -n ${CRM_SERVICE_CTL:-} ]] || die "run as root"
old=$(active_release "$prefix")
[[ -n $old ]] || die "no installed server in $prefix (install.sh installs one)"
old_version=$(installed_version "$old")
[[ -n $old_version ]] || die "$old holds no working crm program"
new_version=$(wheelhouse_version "$wheelhouse")
[[ -n $new_version ]] || die "$wheelhouse holds no crm wheel (build-wheelhouse.sh makes one)"
if [[ $(printf '%s\n%s\n' "$old_version" "$new_version" | sort -V | head -n 1) != \
    "$old_version" ]]; then
    die "$wheelhouse holds crm $new_version, older than the installed $old_version:" \
        "a downgrade is refused (restore a backup of that version instead)"
fi
ctl is-active >/dev/null || die "the service $service is not running; start it first" \
    "(the backup is taken while it serves)"
needed_kb=$(($(du -sk "$wheelhouse" | cut -f1) * 4 + 100 * 1024))
free_kb=$(df -Pk "$prefix" | awk 'NR == 2 {print $4}')
((free_kb >= needed_kb)) ||
    die "$prefix has $((free_kb / 1024)) MB free; the new version needs $((needed_kb / 1024)) MB"
command -v curl >/dev/null || die "curl is needed for the health check (apt-get install curl)"
new=$(release_dir "$prefix" "$new_version")
echo "crm $old_version ($old) → $new_version ($new)"

step "Backing up with $old_version"
archive=$(as_user "$old/bin/crm-server" backup --kind pre-upgrade --include-tls-keys \
    --print-path --data-dir "$data_dir" | tail -n 1) ||
    die "the backup failed; nothing was changed"
[[ -f $archive ]] || die "the backup did not name its archive; nothing was changed"
echo "backup: $archive"

if ! upgrade_to "$new"; then
    roll_back "$old" "$new" "$archive"
fi
prune_releases "$prefix" "$new" "$old"
step "Done"
echo "crm $new_version runs (previous version $old_version kept in $old for a rollback)."
echo "The backup taken before the upgrade: $archive"
