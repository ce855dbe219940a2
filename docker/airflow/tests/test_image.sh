#!/usr/bin/env bash
# Behaviour of the image's start-up logic, tested without Docker (`make test-image`):
# bootstrap.py and entrypoint.sh run on this machine against a fake PostgreSQL on 127.0.0.1, a
# stub `airflow` CLI and a stub base /entrypoint, for both Airflow lines. Also checks that the
# Dockerfile's defaults and each line's image.in agree with requirements/airflow-<line>/constraints.txt.
# Prints "N passed, N failed" last.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE_DIR="$(dirname "${HERE}")"
REPO_ROOT="$(cd "${IMAGE_DIR}/../.." && pwd)"
readonly HERE IMAGE_DIR REPO_ROOT
readonly BOOTSTRAP="${IMAGE_DIR}/bootstrap.py"
readonly ENTRYPOINT="${IMAGE_DIR}/entrypoint.sh"
readonly DB_PASSWORD="S3cret-db-pw"
readonly ADMIN_PASSWORD="S3cret-admin-pw"
readonly JWT_SECRET="S3cret-jwt"
# What every Airflow 3 role is given as ECS secrets besides the database URL.
readonly LINE3_SECRETS=(AIRFLOW__API_AUTH__JWT_SECRET="${JWT_SECRET}" AIRFLOW__API__SECRET_KEY=S3cret-key
  AIRFLOW__CORE__FERNET_KEY=S3cret-fernet)
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

# --- wait-for-execution-api (3.3 scheduler) -------------------------------------------------

execution_api_wait_returns_once_the_api_answers() {
  mkdir -p "${WORK}/www/execution" && echo '{"status": "healthy"}' >"${WORK}/www/execution/health"
  local port
  port="$(free_port)"
  "${PYTHON}" -m http.server --bind 127.0.0.1 --directory "${WORK}/www" "${port}" >/dev/null 2>&1 &
  server_pids+=("$!")
  AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:${port}/execution/" AIRFLOW_EXECUTION_API_WAIT_TIMEOUT=10 \
    "${PYTHON}" "${BOOTSTRAP}" wait-for-execution-api 2>"${WORK}/err"
  contains "${WORK}/err" "the Execution API at http://127.0.0.1:${port}/execution/health answers"
}

execution_api_wait_fails_naming_the_url_and_the_timeout() {
  local status=0
  AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:${CLOSED_PORT}/execution/" \
    AIRFLOW_EXECUTION_API_WAIT_TIMEOUT=2 "${PYTHON}" "${BOOTSTRAP}" wait-for-execution-api 2>"${WORK}/err" || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/err" "did not answer within 2s"
  contains "${WORK}/err" "AIRFLOW_EXECUTION_API_WAIT_TIMEOUT"
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

# Runs the entrypoint in ${WORK}/CASE with the fake database up, as the 2.8 image unless the
# VAR=value pairs (first) say AIRFLOW_LINE=3.3; then `--` and the container command. Leaves
# airflow.calls, base.calls and err in ${WORK}/CASE.
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
  "auth-manager:${AIRFLOW__CORE__AUTH_MANAGER:-unset}" >>"${STUB_DIR}/base.calls"
STUB
  chmod +x "${dir}/bin/airflow" "${dir}/base-entrypoint"
  ln -s "${PYTHON}" "${dir}/bin/python3"
  touch "${dir}/airflow.calls" "${dir}/base.calls"
  env -u AIRFLOW_ADMIN_PASSWORD \
    PATH="${dir}/bin:${PATH}" STUB_DIR="${dir}" \
    BASE_ENTRYPOINT="${dir}/base-entrypoint" IMAGE_DAGS_DIR="${dir}/image" AIRFLOW_LINE=2.8 \
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

# --- entrypoint.sh on the 3.3 line --------------------------------------------------------------

api_server_migrates_creates_the_admin_and_starts_behind_the_proxy_with_fab() {
  run_entrypoint a1 AIRFLOW_LINE=3.3 "${LINE3_SECRETS[@]}" AIRFLOW_ADMIN_PASSWORD="${ADMIN_PASSWORD}" -- api-server
  local d="${WORK}/a1"
  contains "${d}/airflow.calls" "db migrate"
  contains "${d}/airflow.calls" "users create --role Admin --username admin"
  contains "${d}/base.calls" "api-server --proxy-headers CONNECTION_CHECK_MAX_COUNT=0 admin-password: "
  contains "${d}/base.calls" "auth-manager:airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
  [[ -e "${d}/efs/incident_classifier.py" ]] || fail "DAGs not seeded"
  lacks "${d}/err" "${ADMIN_PASSWORD}"
  lacks "${d}/err" "${JWT_SECRET}"
}

api_server_keeps_an_existing_admin_and_adds_proxy_headers_once() {
  run_entrypoint a2 AIRFLOW_LINE=3.3 "${LINE3_SECRETS[@]}" STUB_USERS='[{"username": "admin"}]' \
    -- airflow api-server --proxy-headers
  local d="${WORK}/a2"
  lacks "${d}/airflow.calls" "users create"
  contains "${d}/base.calls" "airflow api-server --proxy-headers CONNECTION_CHECK_MAX_COUNT=0"
  lacks "${d}/base.calls" "--proxy-headers --proxy-headers"
}

# $1: the 3.3 role; each waits for the api-server's migrations and never touches the users.
line3_role_waits_for_the_migrations() {
  run_entrypoint "w-$1" AIRFLOW_LINE=3.3 "${LINE3_SECRETS[@]}" AIRFLOW_ADMIN_PASSWORD="${ADMIN_PASSWORD}" -- "$1"
  local d="${WORK}/w-$1"
  contains "${d}/airflow.calls" "db check-migrations --migration-wait-timeout 600"
  lacks "${d}/airflow.calls" "db migrate"
  lacks "${d}/airflow.calls" "users"
  contains "${d}/err" "for the api-server to apply the migrations"
  contains "${d}/base.calls" "$1 CONNECTION_CHECK_MAX_COUNT=0 admin-password: auth-manager:airflow.providers.fab"
  [[ -e "${d}/efs/incident_classifier.py" ]] || fail "DAGs not seeded"
}
scheduler_on_3_3_waits_for_the_migrations() { line3_role_waits_for_the_migrations scheduler; }
dag_processor_waits_for_the_migrations() { line3_role_waits_for_the_migrations dag-processor; }
triggerer_waits_for_the_migrations() { line3_role_waits_for_the_migrations triggerer; }

line3_roles_stop_before_the_database_when_a_shared_secret_is_missing() {
  local status=0
  run_entrypoint a3 AIRFLOW_LINE=3.3 AIRFLOW__API__SECRET_KEY=k AIRFLOW__CORE__FERNET_KEY=f -- triggerer || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/a3/err" "AIRFLOW__API_AUTH__JWT_SECRET not set"
  lacks "${WORK}/a3/err" "waiting up to"
  [[ ! -s "${WORK}/a3/base.calls" ]] || fail "handed over to the base entrypoint anyway"
}

webserver_is_refused_on_3_3_with_the_replacement_named() {
  local status=0
  run_entrypoint a4 AIRFLOW_LINE=3.3 "${LINE3_SECRETS[@]}" -- webserver || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/a4/err" "Airflow 3 has no webserver: run api-server"
  [[ ! -s "${WORK}/a4/airflow.calls" ]] || fail "airflow was called"
}

an_unknown_line_is_refused() {
  local status=0
  run_entrypoint a5 AIRFLOW_LINE=2.9 -- scheduler || status=$?
  [[ ${status} -ne 0 ]] || fail "exit status 0"
  contains "${WORK}/a5/err" "AIRFLOW_LINE must be 2.8 or 3.3 (got '2.9')"
  [[ ! -s "${WORK}/a5/base.calls" ]] || fail "handed over to the base entrypoint anyway"
}

line_2_8_keeps_its_auth_manager_and_command() {
  run_entrypoint a6 AIRFLOW_ADMIN_PASSWORD="${ADMIN_PASSWORD}" -- webserver
  contains "${WORK}/a6/base.calls" "webserver CONNECTION_CHECK_MAX_COUNT=0 admin-password: auth-manager:unset"
}

# --- pins --------------------------------------------------------------------------------------

# The Dockerfile's defaults are the 2.8 line, and each line's image.in agrees with its constraints.
pins_agree_with_the_constraints_files() {
  "${PYTHON}" - "${IMAGE_DIR}/Dockerfile" "${REPO_ROOT}/requirements" <<'PY'
import pathlib, re, sys
dockerfile, requirements = pathlib.Path(sys.argv[1]).read_text(), pathlib.Path(sys.argv[2])

def pins(path):
    found = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;#]+)", line)
        if m:
            found[re.sub(r"[-_.]+", "-", m[1].split("[")[0]).lower()] = m[2]
    return found

def default(arg):
    return re.search(rf"^ARG {arg}=(\S+)", dockerfile, re.M)[1]

problems = []
lines = sorted(p.name.removeprefix("airflow-") for p in requirements.glob("airflow-*"))
if lines != ["2.8", "3.3"]:
    problems.append(f"expected the lines 2.8 and 3.3 under requirements/, found {lines}")
for line in lines:
    where = f"requirements/airflow-{line}"
    wanted = pins(requirements / f"airflow-{line}" / "image.in")
    pinned = pins(requirements / f"airflow-{line}" / "constraints.txt")
    problems += [f"{where}: {name} is {version} in image.in, {pinned.get(name)} in constraints.txt"
                 for name, version in sorted(wanted.items()) if pinned.get(name) != version]
    if not pinned.get("apache-airflow", "").startswith(f"{line}."):
        problems.append(f"{where}/constraints.txt pins apache-airflow {pinned.get('apache-airflow')}, not a {line}.x")
    problems += [f"{where}/constraints.txt does not pin {name}" for name in ("boto3", "psycopg2-binary")
                 if name not in pinned]
line, version = default("AIRFLOW_LINE"), default("AIRFLOW_VERSION")
if line != "2.8":
    problems.append(f"the Dockerfile's default AIRFLOW_LINE is {line}, not the seed's 2.8")
elif pins(requirements / "airflow-2.8" / "constraints.txt").get("apache-airflow") != version:
    problems.append(f"the Dockerfile's default AIRFLOW_VERSION {version} is not the 2.8 line's apache-airflow pin")
if problems:
    sys.exit("the image's pins disagree:\n  " + "\n  ".join(problems))
PY
}

for case in \
  wait_fails_with_a_clear_message_when_nothing_listens \
  wait_returns_once_postgres_answers \
  wait_does_not_take_any_open_port_for_postgres \
  wait_explains_a_missing_connection_variable \
  wait_rejects_another_database_without_printing_the_url \
  execution_api_wait_returns_once_the_api_answers \
  execution_api_wait_fails_naming_the_url_and_the_timeout \
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
  api_server_migrates_creates_the_admin_and_starts_behind_the_proxy_with_fab \
  api_server_keeps_an_existing_admin_and_adds_proxy_headers_once \
  scheduler_on_3_3_waits_for_the_migrations \
  dag_processor_waits_for_the_migrations \
  triggerer_waits_for_the_migrations \
  line3_roles_stop_before_the_database_when_a_shared_secret_is_missing \
  webserver_is_refused_on_3_3_with_the_replacement_named \
  an_unknown_line_is_refused \
  line_2_8_keeps_its_auth_manager_and_command \
  pins_agree_with_the_constraints_files; do
  run_case "${case//_/ }" "${case}"
done

echo "test-image: ${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
