#!/usr/bin/env bash
# Create, or bring in line, the CRM's PostgreSQL role and database. Safe to re-run.
#
# Connects as a PostgreSQL superuser: by default the local `postgres` account over the Unix
# socket (run this as root on the database machine). Set PGHOST/PGPORT/PGUSER/PGPASSWORD to
# use another server or superuser; CI does that against its throwaway cluster, so CI builds
# its database with exactly this script.
#
# Settings (environment):
#   CRM_DB_NAME           database name (default: crm)
#   CRM_DB_ROLE           login role that owns it and that the server uses (default: crm)
#   CRM_DB_LOCALE         LC_COLLATE and LC_CTYPE of a new database (default: C.UTF-8)
#   CRM_DB_PASSWORD_FILE  the role's generated password, readable by root only
#                         (default: /etc/crm/db-password; kept and reused on re-runs)
#   CRM_DB_CREATEDB       "yes" (default) lets the role create databases: the weekly
#                         restore test of the backups restores into a scratch database
#                         of its own (and the test suite needs it); "no" refuses it
#
# Why C.UTF-8: its LC_CTYPE classifies all of Unicode, so pg_trgm indexes Chinese (with
# LC_CTYPE=C it silently skips every Chinese character), and its code-point collation never
# changes with a glibc upgrade (a changed collation silently corrupts text indexes). Set
# CRM_DB_LOCALE=zh_CN.UTF-8 for pinyin ordering in the database if that locale is installed.
#
# Prints the server's database URL (SQLAlchemy form) on stdout; messages go to stderr.
set -euo pipefail

db=${CRM_DB_NAME:-crm}
role=${CRM_DB_ROLE:-crm}
locale=${CRM_DB_LOCALE:-C.UTF-8}
password_file=${CRM_DB_PASSWORD_FILE:-/etc/crm/db-password}
createdb=CREATEDB
if [[ ${CRM_DB_CREATEDB:-yes} == no ]]; then
    createdb=NOCREATEDB
fi

for name in "$db" "$role"; do
    if [[ ! $name =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then
        echo "pg-setup: '$name' is not a plain lower-case PostgreSQL name" >&2
        exit 2
    fi
done
if [[ ! $locale =~ ^[A-Za-z_.0-9@-]+$ ]]; then
    echo "pg-setup: '$locale' is not a locale name" >&2
    exit 2
fi

# Without explicit connection settings, root talks to the local server as `postgres`.
if [[ -z "${PGHOST:-}${PGUSER:-}" && $EUID -eq 0 ]]; then
    superuser_psql() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "$@"); }
else
    superuser_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
fi

if [[ -s $password_file ]]; then
    password=$(<"$password_file")
else
    install -d -m 0700 "$(dirname "$password_file")"
    password=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
    (umask 077 && printf '%s\n' "$password" >"$password_file")
    echo "pg-setup: generated the password of role $role in $password_file" >&2
fi
if [[ ! $password =~ ^[A-Za-z0-9]{16,}$ ]]; then
    echo "pg-setup: $password_file must hold a letters-and-digits password (16+)" >&2
    exit 2
fi

# The password travels on stdin, never on a command line where `ps` would show it.
superuser_psql -d postgres <<SQL
\set role '$role'
\set db '$db'
\set locale '$locale'
\set password '$password'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') AS new_role \gset
\if :new_role
CREATE ROLE :"role" LOGIN PASSWORD :'password';
\else
ALTER ROLE :"role" LOGIN PASSWORD :'password';
\endif
ALTER ROLE :"role" $createdb;
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') AS new_db \gset
\if :new_db
CREATE DATABASE :"db" OWNER :"role" ENCODING 'UTF8' LC_COLLATE :'locale' LC_CTYPE :'locale'
    TEMPLATE template0;
\endif
SQL

# pg_trgm is created by the superuser so the server role needs no extra rights.
superuser_psql -d "$db" -c 'SET client_min_messages TO warning' \
    -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm'

read -r encoding ctype < <(superuser_psql -d postgres -At -F ' ' -c \
    "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database WHERE datname = '$db'")
if [[ $encoding != UTF8 || $ctype == C || $ctype == POSIX ]]; then
    echo "pg-setup: database $db exists with encoding $encoding and LC_CTYPE $ctype;" \
        "the CRM needs UTF8 and a UTF-8 LC_CTYPE (Chinese search). Dump it, drop it and" \
        "re-run this script, then restore." >&2
    exit 1
fi
echo "pg-setup: database $db (UTF8, LC_CTYPE $ctype) owned by $role is ready" >&2

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
if [[ $host == /* ]]; then  # a Unix socket directory
    echo "postgresql+psycopg2://$role:$password@/$db?host=$host&port=$port"
else
    echo "postgresql+psycopg2://$role:$password@$host:$port/$db"
fi
