#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster (pg_virtualenv: a fresh cluster that is
# dropped afterwards), with CRM_TEST_DATABASE_URL pointing at a database made by
# deploy_onprem/pg-setup.sh, the script IT runs, so CI exercises the production set-up.
#
#   .ci/with-postgres.sh make test-postgres
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ${1:-} != --inside ]]; then
    # Durability is pointless for a database that lives for one test run.
    exec pg_virtualenv -o fsync=off -o synchronous_commit=off -o full_page_writes=off \
        "${BASH_SOURCE[0]}" --inside "$@"
fi
shift

secrets=$(mktemp -d)
trap 'rm -rf "$secrets"' EXIT
CRM_TEST_DATABASE_URL=$(
    CRM_DB_NAME=crm_test CRM_DB_ROLE=crm_test CRM_DB_CREATEDB=yes \
        CRM_DB_PASSWORD_FILE="$secrets/password" "$root/deploy_onprem/pg-setup.sh"
)
export CRM_TEST_DATABASE_URL
"$@"
