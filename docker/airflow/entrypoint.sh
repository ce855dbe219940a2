#!/usr/bin/env bash
# Start-up of the Airflow containers (seed: Compute Layer, "Entrypoint Logic"), for the image's
# Airflow line (AIRFLOW_LINE, set by the Dockerfile from its build argument):
#
#   line  role (task command)                    start-up before Airflow runs
#   2.8   webserver                              wait for PostgreSQL -> seed DAGs -> db migrate -> admin if absent
#   3.3   api-server (+ --proxy-headers)         the same
#   both  scheduler; 3.3 dag-processor, triggerer  wait for PostgreSQL -> seed DAGs -> wait for the migrations
#   3.3   scheduler                              then also wait for the api-server's Execution API
#   3.3   webserver                              refused: Airflow 3 removed it (the api-server serves the UI)
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
#   AIRFLOW_LINE                          2.8 | 3.3 (the Dockerfile sets it)
#   AIRFLOW__DATABASE__SQL_ALCHEMY_CONN   secret, required by every role above
#   AIRFLOW__API_AUTH__JWT_SECRET, AIRFLOW__API__SECRET_KEY, AIRFLOW__CORE__FERNET_KEY
#                                         secrets, required by every 3.3 role above: each defaults to
#                                         a random value per process, and the containers must agree
#   AIRFLOW_ADMIN_PASSWORD                secret, migrating role; needed while the admin user is absent
#   AIRFLOW_ADMIN_USERNAME / _EMAIL / _FIRSTNAME / _LASTNAME   optional, defaults below
#   AIRFLOW_DB_WAIT_TIMEOUT               seconds to wait for PostgreSQL (default 300)
#   AIRFLOW_DB_MIGRATE                    true|false; default true for webserver / api-server only
#   AIRFLOW_DB_MIGRATION_WAIT_TIMEOUT     seconds a non-migrating role waits (default 600)
#   AIRFLOW_SEED_DAGS                     true|false; default true
#   AIRFLOW__CORE__EXECUTION_API_SERVER_URL   3.3 scheduler: the api-server's /execution/ URL it waits for
#   AIRFLOW_EXECUTION_API_WAIT_TIMEOUT    seconds the 3.3 scheduler waits for it (default 600)
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

readonly AIRFLOW_LINE="${AIRFLOW_LINE:-}"
# Airflow 3's auth manager with users in the metadata database: `airflow users create` and the
# password login of the 2.8 line. The default SimpleAuthManager is for development only.
readonly FAB_AUTH_MANAGER="airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
readonly LINE3_SECRETS=(AIRFLOW__API_AUTH__JWT_SECRET AIRFLOW__API__SECRET_KEY AIRFLOW__CORE__FERNET_KEY)

# Both `webserver` and `airflow webserver` are accepted, as the base entrypoint does.
role="${1:-}"
if [[ "${role}" == "airflow" ]]; then
  role="${2:-}"
fi

# What start-up a role gets on this line: migrate (and create the admin), wait for the
# migrations, or none.
case "${AIRFLOW_LINE}:${role}" in
  2.8:webserver | 3.3:api-server) startup="migrate" ;;
  2.8:scheduler | 3.3:scheduler | 3.3:dag-processor | 3.3:triggerer) startup="wait" ;;
  3.3:webserver) die "Airflow 3 has no webserver: run api-server (it serves the UI and the APIs)" ;;
  2.8:* | 3.3:*) startup="none" ;;
  *) die "AIRFLOW_LINE must be 2.8 or 3.3 (got '${AIRFLOW_LINE}'); the Dockerfile sets it from its build argument" ;;
esac

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
  log "waiting up to ${timeout}s for the ${MIGRATING_ROLE} to apply the migrations"
  airflow db check-migrations --migration-wait-timeout "${timeout}" \
    || die "the database schema is still not at Airflow's head after ${timeout}s; is the ${MIGRATING_ROLE} running?"
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
    # Another ${MIGRATING_ROLE} may have created it between our check and our insert.
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

require_line3_secrets() {
  local name missing=()
  for name in "${LINE3_SECRETS[@]}"; do
    [[ -n "${!name:-}" ]] || missing+=("${name}")
  done
  [[ ${#missing[@]} -eq 0 ]] \
    || die "${missing[*]} not set: every Airflow 3 container needs the same values (inject them as secrets)"
}

if [[ "${AIRFLOW_LINE}" == "3.3" ]]; then
  MIGRATING_ROLE=api-server
  export AIRFLOW__CORE__AUTH_MANAGER="${FAB_AUTH_MANAGER}"
else
  MIGRATING_ROLE=webserver
fi
readonly MIGRATING_ROLE

if [[ "${startup}" != none ]]; then
  umask 0002 # files written on EFS stay group-writable, as the base image intends
  [[ "${AIRFLOW_LINE}" != "3.3" ]] || require_line3_secrets
  python3 "${BOOTSTRAP}" wait-for-db || exit 1
  export CONNECTION_CHECK_MAX_COUNT=0
  seed_dags
  default_migrate=false
  [[ "${startup}" != migrate ]] || default_migrate=true
  if is_true "${AIRFLOW_DB_MIGRATE:-${default_migrate}}"; then
    migrate_db
  else
    wait_for_migrations
  fi
  [[ "${startup}" != migrate ]] || create_admin_if_absent
else
  log "command '${role}': no start-up steps, handing over to ${BASE_ENTRYPOINT}"
fi

# Airflow 3's scheduler hands due tasks to processes that report to the Execution API from their
# first second. Started before the api-server answers (every cold start; on ECS until Cloud Map
# registers the api-server's task) they fail with `Connection refused` and go up for retry, so the
# scheduler starts scheduling only once the API answers. The triggerer and the dag-processor run
# the API in-process and need not wait.
if [[ "${AIRFLOW_LINE}:${role}" == "3.3:scheduler" ]]; then
  python3 "${BOOTSTRAP}" wait-for-execution-api || exit 1
fi

# Behind the ALB, the api-server builds its redirects from X-Forwarded-Proto/-For/-Port.
if [[ "${AIRFLOW_LINE}:${role}" == "3.3:api-server" && " $* " != *" --proxy-headers "* ]]; then
  set -- "$@" --proxy-headers
fi

# Airflow itself never needs the admin password: keep it out of the server's environment.
unset AIRFLOW_ADMIN_PASSWORD
exec "${BASE_ENTRYPOINT}" "$@"
