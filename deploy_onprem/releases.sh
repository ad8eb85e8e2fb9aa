# Sourced by install.sh and upgrade.sh: the program's layout under the prefix (/opt/crm).
#
#   releases/<version>/    one virtualenv per installed version (the previous one is kept so
#                          an upgrade can go back to it)
#   current -> releases/<version>     the version that runs
#   bin/crm-server -> ../current/bin/crm-server     what the systemd unit starts
#
# An install made before this layout is one virtualenv in the prefix itself ("legacy"): it
# stays where it is as the release to go back to, its crm-server kept as
# releases/legacy-crm-server.
# shellcheck shell=bash

# The version of the crm wheel in wheelhouse $1 (the newest when there are several).
wheelhouse_version() {
    local wheel version=""
    for wheel in "$1"/crm-[0-9]*.whl; do
        [[ -e $wheel ]] || continue
        wheel=${wheel##*/crm-}
        version=$(printf '%s\n%s\n' "$version" "${wheel%%-*}" | sort -V | tail -n 1)
    done
    echo "$version"
}

# The crm version installed in virtualenv $1 (empty when there is none).
installed_version() {
    [[ -x $1/bin/python ]] || return 0
    "$1/bin/python" -I -c 'import importlib.metadata as m; print(m.version("crm"))' 2>/dev/null ||
        true
}

# The release that runs now: current's target, the prefix itself for a legacy install,
# empty on a fresh machine. Prefixes are given as absolute paths without symbolic links
# (realpath -m), so a release compares equal to this.
active_release() {
    local prefix=$1
    if [[ -L $prefix/current ]]; then
        realpath -m "$prefix/current"
    elif [[ -f $prefix/pyvenv.cfg ]]; then
        echo "$prefix"
    fi
}

# A directory for version $2 under prefix $1 that is not the running release.
release_dir() {
    local prefix=$1 version=$2 dir
    dir=$prefix/releases/$version
    if [[ $dir == "$(active_release "$prefix")" ]]; then
        dir=$dir-$(date -u +%Y%m%d%H%M%S)
    fi
    echo "$dir"
}

# Make virtualenv $2 with python $1 and install crm[server] into it: from wheelhouse $3
# alone, or from the source tree $4 when $3 is empty.
install_release() {
    local python=$1 dir=$2 wheelhouse=$3 source=${4:-}
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    "$python" -m venv "$dir"
    if [[ -n $wheelhouse ]]; then
        "$dir/bin/pip" install --quiet --no-index --find-links "$wheelhouse" 'crm[server]'
    else
        "$dir/bin/pip" install --quiet "${source}[server]"
    fi
}

# Make release $2 (a directory, or the prefix itself for a legacy install) the one that
# runs; each link is replaced in one rename.
activate_release() {
    local prefix=$1 dir=$2
    mkdir -p "$prefix/bin" "$prefix/releases"
    if [[ $dir == "$prefix" ]]; then
        rm -f "$prefix/current"
        cp -p "$prefix/releases/legacy-crm-server" "$prefix/bin/crm-server.new"
    else
        if [[ -f $prefix/pyvenv.cfg && ! -L $prefix/bin/crm-server &&
            ! -e $prefix/releases/legacy-crm-server ]]; then
            cp -p "$prefix/bin/crm-server" "$prefix/releases/legacy-crm-server"
        fi
        ln -sfn "${dir#"$prefix/"}" "$prefix/current.new"
        mv -Tf "$prefix/current.new" "$prefix/current"
        ln -sfn ../current/bin/crm-server "$prefix/bin/crm-server.new"
    fi
    mv -Tf "$prefix/bin/crm-server.new" "$prefix/bin/crm-server"
}

# Releases under prefix $1 other than $2 and $3 (the running one and the one before) go.
prune_releases() {
    local dir
    for dir in "$1"/releases/*/; do
        dir=${dir%/}
        [[ $dir == "$2" || $dir == "$3" ]] || rm -rf "$dir"
    done
}
