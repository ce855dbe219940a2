#!/usr/bin/env bash
# Behaviour of the image's start-up logic, tested without Docker (`make test-image`):
# bootstrap.py and entrypoint.sh run on this machine against a fake PostgreSQL on 127.0.0.1, a
# stub `airflow` CLI and a stub base /entrypoint. Also checks that the image's pins agree with
# requirements/airflow-constraints.txt. Prints "N passed, N failed" last.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE_DIR="$(dirname "${HERE}")"
REPO_ROOT="$(cd "${IMAGE_DIR}/../.." && pwd)"
readonly HERE IMAGE_DIR REPO_ROOT
readonly BOOTSTRAP="${IMAGE_DIR}/bootstrap.py"
readonly ENTRYPOINT="${IMAGE_DIR}/entrypoint.sh"
readonly DB_PASSWORD="S3cret-db-pw"
readonly ADMIN_PASSWORD="S3cret-admin-pw"
# The interpreter itself rather than a version-manager shim: dozens of starts stay fast.
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
readonly PYTHON

WORK="$(mktemp -d)"
readonly WORK
server_pids=()
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  rm -rf "${WORK}"
}
trap cleanup EXIT

passed=0
failed=0
run_case() {
  local name="$1"
  shift
  local status=0
  # Not inside `if`: there bash would ignore errexit in the case, and a failed check mid-case
  # would go unnoticed.
  set +e
  (
    set -e
    trap 'echo "failed: ${BASH_COMMAND}"' ERR
    "$@"
  ) >"${WORK}/case.log" 2>&1
  status=$?
  set -e
  if [[ ${status} -eq 0 ]]; then
    passed=$((passed + 1))
    echo "ok   - ${name}"
    grep '^SKIP' "${WORK}/case.log" | sed 's/^/       /' || true
  else
    failed=$((failed + 1))
    echo "FAIL - ${name}"
    sed 's/^/       /' "${WORK}/case.log"
  fi
}
fail() { echo "$*"; return 1; }
contains() { grep -qF -- "$2" "$1" || fail "expected '$2' in $1:$(printf '\n'; cat "$1")"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "did not expect '$2' in $1:$(printf '\n'; cat "$1")"; }

start_server() { # MODE VAR: starts a fake server in the background, sets VAR to its port
  local port_file="${WORK}/port.$1"
  "${PYTHON}" "${HERE}/fake_postgres.py" "$1" "${port_file}" 60 </dev/null >/dev/null 2>&1 &
  server_pids+=("$!")
  local _
  for _ in $(seq 100); do
    [[ -s "${port_file}" ]] && break
    sleep 0.05
  done
  [[ -s "${port_file}" ]] || { echo "fake server '$1' did not start"; exit 1; }
  printf -v "$2" '%s' "$(cat "${port_file}")"
}

free_port() {
  "${PYTHON}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server postgres PG_PORT
start_server mute MUTE_PORT
CLOSED_PORT="$(free_port)"
readonly PG_PORT MUTE_PORT CLOSED_PORT

conn_url() { echo "postgresql+psycopg2://airflow:${DB_PASSWORD}@127.0.0.1:$1/airflow"; }

# --- wait-for-db -------------------------------------------------------------------------------

wait_fails_with_a_clear_message_when_nothing_listens() {
  local status=0 start=${SECONDS}
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(conn_url "${CLOSED_PORT}")" AIRFLOW_DB_WAIT_TIMEOUT=2 \
    "${PYTHON}" "${BOOTSTRAP}" wait-for-db 2>"${WORK}/err" || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/err" "PostgreSQL at 127.0.0.1:${CLOSED_PORT} not reachable after 2s"
  contains "${WORK}/err" "AIRFLOW_DB_WAIT_TIMEOUT"
  lacks "${WORK}/err" "${DB_PASSWORD}"
  [[ $((SECONDS - start)) -le 4 ]] || fail "took $((SECONDS - start))s for a 2s timeout"
}

wait_returns_once_postgres_answers() {
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(conn_url "${PG_PORT}")" AIRFLOW_DB_WAIT_TIMEOUT=5 \
    "${PYTHON}" "${BOOTSTRAP}" wait-for-db 2>"${WORK}/err"
  contains "${WORK}/err" "is accepting connections"
  lacks "${WORK}/err" "${DB_PASSWORD}"
}

wait_does_not_take_any_open_port_for_postgres() {
  local status=0
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(conn_url "${MUTE_PORT}")" AIRFLOW_DB_WAIT_TIMEOUT=1 \
    "${PYTHON}" "${BOOTSTRAP}" wait-for-db 2>"${WORK}/err" || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/err" "without a PostgreSQL answer"
}

wait_explains_a_missing_connection_variable() {
  local status=0
  env -u AIRFLOW__DATABASE__SQL_ALCHEMY_CONN "${PYTHON}" "${BOOTSTRAP}" wait-for-db 2>"${WORK}/err" || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/err" "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is not set"
}

wait_rejects_another_database_without_printing_the_url() {
  local status=0
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="mysql://airflow:${DB_PASSWORD}@db:3306/airflow" \
    "${PYTHON}" "${BOOTSTRAP}" wait-for-db 2>"${WORK}/err" || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/err" "must be a postgresql:// URL (got scheme 'mysql')"
  lacks "${WORK}/err" "${DB_PASSWORD}"
}

# --- seed-dags ---------------------------------------------------------------------------------

make_image_dags() { # DIR
  mkdir -p "$1/helpers"
  echo "# v1" >"$1/incident_classifier.py"
  echo "# v1" >"$1/old_dag.py"
  echo "# v1" >"$1/helpers/rules.py"
}

seed_copies_the_image_dags_onto_an_empty_folder() {
  make_image_dags "${WORK}/s1/image"
  mkdir -p "${WORK}/s1/efs"
  "${PYTHON}" "${BOOTSTRAP}" seed-dags "${WORK}/s1/image" "${WORK}/s1/efs"
  diff -r --exclude='.image-dags*' "${WORK}/s1/image" "${WORK}/s1/efs"
  [[ -s "${WORK}/s1/efs/.image-dags-sha256" ]] || fail "no digest marker written"
}

seed_leaves_the_folder_alone_while_the_image_dags_are_unchanged() {
  make_image_dags "${WORK}/s2/image"
  mkdir -p "${WORK}/s2/efs"
  "${PYTHON}" "${BOOTSTRAP}" seed-dags "${WORK}/s2/image" "${WORK}/s2/efs"
  echo "# hot fix copied to EFS by hand" >"${WORK}/s2/efs/incident_classifier.py"
  "${PYTHON}" "${BOOTSTRAP}" seed-dags "${WORK}/s2/image" "${WORK}/s2/efs" 2>"${WORK}/err"
  contains "${WORK}/err" "already match the image"
  contains "${WORK}/s2/efs/incident_classifier.py" "hot fix"
}

seed_replaces_changed_dags_and_removes_deleted_ones_but_not_caches() {
  make_image_dags "${WORK}/s3/image"
  mkdir -p "${WORK}/s3/efs"
  "${PYTHON}" "${BOOTSTRAP}" seed-dags "${WORK}/s3/image" "${WORK}/s3/efs"
  mkdir -p "${WORK}/s3/efs/helpers/__pycache__"
  touch "${WORK}/s3/efs/helpers/__pycache__/rules.cpython-311.pyc"
  echo "# v2" >"${WORK}/s3/image/incident_classifier.py"
  rm "${WORK}/s3/image/old_dag.py"
  "${PYTHON}" "${BOOTSTRAP}" seed-dags "${WORK}/s3/image" "${WORK}/s3/efs" 2>"${WORK}/err"
  contains "${WORK}/err" "1 written, 1 removed"
  contains "${WORK}/s3/efs/incident_classifier.py" "# v2"
  [[ ! -e "${WORK}/s3/efs/old_dag.py" ]] || fail "old_dag.py was not removed"
  [[ -e "${WORK}/s3/efs/helpers/__pycache__/rules.cpython-311.pyc" ]] || fail "byte-code cache removed"
}

seed_says_when_the_dags_folder_is_missing() {
  local status=0
  make_image_dags "${WORK}/s4/image"
  "${PYTHON}" "${BOOTSTRAP}" seed-dags "${WORK}/s4/image" "${WORK}/s4/no-efs" 2>"${WORK}/err" || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/err" "is the EFS volume mounted?"
}

# --- entrypoint.sh with a stub airflow CLI and a stub base /entrypoint -------------------------

# Runs the entrypoint in ${WORK}/CASE with the fake database up; extra VAR=value pairs first,
# then `--` and the container command. Leaves airflow.calls, base.calls and err in ${WORK}/CASE.
run_entrypoint() {
  local dir="${WORK}/$1"
  shift
  local -a vars=()
  while [[ "$1" != "--" ]]; do
    vars+=("$1")
    shift
  done
  shift
  mkdir -p "${dir}/bin" "${dir}/efs"
  make_image_dags "${dir}/image"
  cat >"${dir}/bin/airflow" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"${STUB_DIR}/airflow.calls"
if [[ "$1 $2" == "users export" ]]; then printf '%s' "${STUB_USERS:-[]}" >"$3"; fi
STUB
  cat >"${dir}/base-entrypoint" <<'STUB'
#!/usr/bin/env bash
echo "$* CONNECTION_CHECK_MAX_COUNT=${CONNECTION_CHECK_MAX_COUNT:-unset} admin-password:${AIRFLOW_ADMIN_PASSWORD:+set}" \
  >>"${STUB_DIR}/base.calls"
STUB
  chmod +x "${dir}/bin/airflow" "${dir}/base-entrypoint"
  ln -s "${PYTHON}" "${dir}/bin/python3"
  touch "${dir}/airflow.calls" "${dir}/base.calls"
  env -u AIRFLOW_ADMIN_PASSWORD \
    PATH="${dir}/bin:${PATH}" STUB_DIR="${dir}" \
    BASE_ENTRYPOINT="${dir}/base-entrypoint" IMAGE_DAGS_DIR="${dir}/image" \
    AIRFLOW__CORE__DAGS_FOLDER="${dir}/efs" AIRFLOW_DB_WAIT_TIMEOUT=2 \
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(conn_url "${PG_PORT}")" \
    "${vars[@]}" bash "${ENTRYPOINT}" "$@" 2>"${dir}/err"
}

webserver_migrates_creates_the_admin_and_hands_over_without_the_password() {
  run_entrypoint e1 AIRFLOW_ADMIN_PASSWORD="${ADMIN_PASSWORD}" -- webserver
  local d="${WORK}/e1"
  contains "${d}/airflow.calls" "db migrate"
  contains "${d}/airflow.calls" "users create --role Admin --username admin"
  contains "${d}/airflow.calls" "--password ${ADMIN_PASSWORD}"
  contains "${d}/base.calls" "webserver CONNECTION_CHECK_MAX_COUNT=0 admin-password:"
  lacks "${d}/base.calls" "admin-password:set"
  [[ -e "${d}/efs/incident_classifier.py" ]] || fail "DAGs not seeded"
  lacks "${d}/err" "${ADMIN_PASSWORD}"
  lacks "${d}/err" "${DB_PASSWORD}"
}

webserver_keeps_an_existing_admin_without_needing_the_password() {
  run_entrypoint e2 STUB_USERS='[{"username": "admin", "roles": ["Admin"]}]' -- airflow webserver
  local d="${WORK}/e2"
  lacks "${d}/airflow.calls" "users create"
  contains "${d}/err" "admin user 'admin' exists"
  contains "${d}/base.calls" "airflow webserver"
}

webserver_stops_when_the_admin_is_absent_and_no_password_is_given() {
  local status=0
  run_entrypoint e3 -- webserver || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/e3/err" "AIRFLOW_ADMIN_PASSWORD is not set"
  [[ ! -s "${WORK}/e3/base.calls" ]] || fail "handed over to the base entrypoint anyway"
}

scheduler_waits_for_the_migrations_instead_of_running_them() {
  run_entrypoint e4 AIRFLOW_ADMIN_PASSWORD="${ADMIN_PASSWORD}" -- scheduler
  local d="${WORK}/e4"
  contains "${d}/airflow.calls" "db check-migrations --migration-wait-timeout 600"
  lacks "${d}/airflow.calls" "db migrate"
  lacks "${d}/airflow.calls" "users"
  contains "${d}/base.calls" "scheduler CONNECTION_CHECK_MAX_COUNT=0"
}

server_roles_stop_before_airflow_when_the_database_never_answers() {
  local status=0
  run_entrypoint e5 AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="$(conn_url "${CLOSED_PORT}")" \
    AIRFLOW_DB_WAIT_TIMEOUT=1 -- scheduler || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/e5/err" "not reachable after 1s"
  [[ ! -s "${WORK}/e5/airflow.calls" ]] || fail "airflow was called"
  [[ ! -s "${WORK}/e5/base.calls" ]] || fail "handed over to the base entrypoint anyway"
}

other_commands_pass_straight_through() {
  run_entrypoint e6 AIRFLOW__DATABASE__SQL_ALCHEMY_CONN= -- version
  [[ ! -s "${WORK}/e6/airflow.calls" ]] || fail "airflow was called before the hand-over"
  contains "${WORK}/e6/base.calls" "version CONNECTION_CHECK_MAX_COUNT=unset"
}

# --- pins --------------------------------------------------------------------------------------

pins_agree_with_the_constraints_file() {
  local constraints="${REPO_ROOT}/requirements/airflow-constraints.txt"
  if [[ ! -f "${constraints}" ]]; then
    echo "SKIP: ${constraints#"${REPO_ROOT}"/} does not exist yet"
    return 0
  fi
  "${PYTHON}" - "${IMAGE_DIR}/Dockerfile" "${IMAGE_DIR}/requirements.txt" "${constraints}" <<'PY'
import re, sys
dockerfile, requirements, constraints = sys.argv[1:]

def pins(path):
    found = {}
    for line in open(path):
        m = re.match(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;#]+)", line)
        if m:
            found[re.sub(r"[-_.]+", "-", m[1].split("[")[0]).lower()] = m[2]
    return found

wanted = pins(requirements)
wanted["apache-airflow"] = re.search(r"^ARG AIRFLOW_VERSION=(\S+)", open(dockerfile).read(), re.M)[1]
pinned = pins(constraints)
problems = [
    f"{name}: docker/airflow pins {version}, the constraints file {pinned[name]}"
    for name, version in sorted(wanted.items())
    if name in pinned and pinned[name] != version
]
problems += [f"{name}: not pinned in the constraints file" for name in ("apache-airflow", "boto3")
             if name not in pinned]
if problems:
    sys.exit("requirements/airflow-constraints.txt disagrees with the image:\n  " + "\n  ".join(problems))
PY
}

for case in \
  wait_fails_with_a_clear_message_when_nothing_listens \
  wait_returns_once_postgres_answers \
  wait_does_not_take_any_open_port_for_postgres \
  wait_explains_a_missing_connection_variable \
  wait_rejects_another_database_without_printing_the_url \
  seed_copies_the_image_dags_onto_an_empty_folder \
  seed_leaves_the_folder_alone_while_the_image_dags_are_unchanged \
  seed_replaces_changed_dags_and_removes_deleted_ones_but_not_caches \
  seed_says_when_the_dags_folder_is_missing \
  webserver_migrates_creates_the_admin_and_hands_over_without_the_password \
  webserver_keeps_an_existing_admin_without_needing_the_password \
  webserver_stops_when_the_admin_is_absent_and_no_password_is_given \
  scheduler_waits_for_the_migrations_instead_of_running_them \
  server_roles_stop_before_airflow_when_the_database_never_answers \
  other_commands_pass_straight_through \
  pins_agree_with_the_constraints_file; do
  run_case "${case//_/ }" "${case}"
done

echo "test-image: ${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
