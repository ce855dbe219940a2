#!/usr/bin/env bash
# Start-up of the Airflow containers (seed: Compute Layer, "Entrypoint Logic").
#
#   webserver: wait for PostgreSQL -> seed DAGs -> airflow db migrate -> create admin if absent
#   scheduler: wait for PostgreSQL -> seed DAGs -> wait until the migrations are applied
#   any other command (version, bash, dags list, ...): passed through untouched
#
# It wraps the official image's /entrypoint rather than replacing it: ours runs first, then
# `exec /entrypoint "$@"` keeps what the base image does before it finally runs
# `exec airflow "$@"` (umask, uid/gid checks, the libstdc++ preload, `bash`/`python` commands).
# Every hand-over is an exec under the image's dumb-init, so ECS's SIGTERM reaches Airflow.
# The base entrypoint's own readiness loop (`airflow db check`, 20 x 3 s) is switched off for the
# roles we have already waited for.
#
# Environment (see docker/airflow/README.md for the full table):
#   AIRFLOW__DATABASE__SQL_ALCHEMY_CONN   secret, required by webserver and scheduler
#   AIRFLOW_ADMIN_PASSWORD                secret, webserver; needed while the admin user is absent
#   AIRFLOW_ADMIN_USERNAME / _EMAIL / _FIRSTNAME / _LASTNAME   optional, defaults below
#   AIRFLOW_DB_WAIT_TIMEOUT               seconds to wait for PostgreSQL (default 300)
#   AIRFLOW_DB_MIGRATE                    true|false; default true for webserver only
#   AIRFLOW_DB_MIGRATION_WAIT_TIMEOUT     seconds a non-migrating role waits (default 600)
#   AIRFLOW_SEED_DAGS                     true|false; default true
set -euo pipefail

BOOTSTRAP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/bootstrap.py"
readonly BOOTSTRAP
# Overridable for the tests in docker/airflow/tests only.
readonly BASE_ENTRYPOINT="${BASE_ENTRYPOINT:-/entrypoint}"
readonly IMAGE_DAGS_DIR="${IMAGE_DAGS_DIR:-/opt/airflow/dags-image}"
readonly DAGS_DIR="${AIRFLOW__CORE__DAGS_FOLDER:-/opt/airflow/dags}"

log() { echo "[entrypoint] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_true() {
  case "${1,,}" in
    true | yes | 1) return 0 ;;
    false | no | 0) return 1 ;;
    *) die "expected true or false, got '$1'" ;;
  esac
}

# Both `webserver` and `airflow webserver` are accepted, as the base entrypoint does.
role="${1:-}"
if [[ "${role}" == "airflow" ]]; then
  role="${2:-}"
fi

seed_dags() {
  if is_true "${AIRFLOW_SEED_DAGS:-true}"; then
    python3 "${BOOTSTRAP}" seed-dags "${IMAGE_DAGS_DIR}" "${DAGS_DIR}" \
      || die "seeding the DAGs folder failed (see above)"
  else
    log "AIRFLOW_SEED_DAGS=false: leaving ${DAGS_DIR} as it is"
  fi
}

# `airflow db migrate` takes a PostgreSQL advisory lock around the schema changes
# (airflow.utils.db.create_global_lock), so concurrent runs are serialised. On an empty database
# the first steps (revision check, default pool) run outside that lock, so a second webserver
# starting at the same moment can fail once; the retry then finds the schema at head.
migrate_db() {
  local attempt
  for attempt in 1 2 3; do
    log "airflow db migrate (attempt ${attempt}/3)"
    if airflow db migrate; then
      return 0
    fi
    sleep $((attempt * 5))
  done
  die "airflow db migrate failed 3 times (see above)"
}

wait_for_migrations() {
  local timeout="${AIRFLOW_DB_MIGRATION_WAIT_TIMEOUT:-600}"
  log "waiting up to ${timeout}s for the webserver to apply the migrations"
  airflow db check-migrations --migration-wait-timeout "${timeout}" \
    || die "the database schema is still not at Airflow's head after ${timeout}s; is the webserver running?"
}

# The password is read from the environment only when the user must be created, and passed to
# the CLI as an argument: visible only inside this container, which already holds it in its env.
create_admin_if_absent() {
  local username="${AIRFLOW_ADMIN_USERNAME:-admin}"
  if admin_exists "${username}"; then
    log "admin user '${username}' exists; not touching it"
    return 0
  fi
  [[ -n "${AIRFLOW_ADMIN_PASSWORD:-}" ]] \
    || die "admin user '${username}' does not exist and AIRFLOW_ADMIN_PASSWORD is not set (inject it as a secret)"
  log "creating admin user '${username}'"
  if ! airflow users create \
    --role Admin \
    --username "${username}" \
    --email "${AIRFLOW_ADMIN_EMAIL:-admin@example.com}" \
    --firstname "${AIRFLOW_ADMIN_FIRSTNAME:-Airflow}" \
    --lastname "${AIRFLOW_ADMIN_LASTNAME:-Admin}" \
    --password "${AIRFLOW_ADMIN_PASSWORD}"; then
    # Another webserver may have created it between our check and our insert.
    admin_exists "${username}" || die "could not create admin user '${username}' (see above)"
  fi
}

admin_exists() {
  local export_file status=0
  export_file="$(mktemp)"
  airflow users export "${export_file}" >/dev/null || {
    rm -f "${export_file}"
    die "airflow users export failed (see above)"
  }
  python3 "${BOOTSTRAP}" has-user "${export_file}" "$1" || status=$?
  rm -f "${export_file}"
  case "${status}" in
    0) return 0 ;;
    1) return 1 ;;
    *) die "could not read the exported user list" ;;
  esac
}

case "${role}" in
  webserver | scheduler)
    umask 0002 # files written on EFS stay group-writable, as the base image intends
    python3 "${BOOTSTRAP}" wait-for-db || exit 1
    export CONNECTION_CHECK_MAX_COUNT=0
    seed_dags
    default_migrate=false
    if [[ "${role}" == "webserver" ]]; then
      default_migrate=true
    fi
    if is_true "${AIRFLOW_DB_MIGRATE:-${default_migrate}}"; then
      migrate_db
    else
      wait_for_migrations
    fi
    if [[ "${role}" == "webserver" ]]; then
      create_admin_if_absent
    fi
    ;;
  *)
    log "command '${role}': no start-up steps, handing over to ${BASE_ENTRYPOINT}"
    ;;
esac

# Airflow itself never needs the admin password: keep it out of the webserver's environment.
unset AIRFLOW_ADMIN_PASSWORD
exec "${BASE_ENTRYPOINT}" "$@"
