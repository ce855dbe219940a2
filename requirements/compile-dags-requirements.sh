#!/usr/bin/env bash
# Regenerates the pinned Python requirement files of each Airflow line from its .in files.
#
#   requirements/airflow-<line>/constraints.txt  what the Airflow image of that line installs
#     (COPY'd into the image): image.in resolved for Python 3.11, since Airflow's own constraint
#     files are not reachable here.
#   requirements/airflow-<line>/dags-test.txt    its test venv: the same pins plus moto and pytest
#     (and ruff on 3.3, whose venv runs the linter).
#
# Each line resolves against PyPI as it stood on a fixed day (--exclude-newer), so that a rerun
# without an edit gives the same pins:
#   2.8  the day Airflow 2.8.0 was current; aiobotocore 2.10.0, which botocore 1.34 needs, came out
#        four days later.
#   3.3  the day the 3.3 line was first compiled (apache-airflow 3.3.2, providers amazon 9.39.0,
#        fab 3.10.2).
#
# Run after editing a .in file: requirements/compile-dags-requirements.sh [LINE...] (default: every line;
# needs uv, which `make py-venv` installs into .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-.venv/bin/uv}
common=(--quiet --python-version 3.11 --python-platform linux --custom-compile-command requirements/compile-dags-requirements.sh)

exclude_newer() { # LINE: the --exclude-newer options of that line
  case "$1" in
    2.8) echo "--exclude-newer 2024-01-15 --exclude-newer-package aiobotocore=2024-01-20" ;;
    3.3) echo "--exclude-newer 2026-12-01" ;;
    *) echo "unknown Airflow line '$1' (expected 2.8 or 3.3)" >&2; return 1 ;;
  esac
}

compile_line() { # LINE
  local dir="requirements/airflow-$1" options
  options="$(exclude_newer "$1")"
  # shellcheck disable=SC2086 # the options are words on purpose
  "$uv" pip compile "${common[@]}" ${options} "${dir}/image.in" -o "${dir}/constraints.txt"
  "$uv" pip compile "${common[@]}" -c "${dir}/constraints.txt" "${dir}/dags-test.in" -o "${dir}/dags-test.txt"
}

lines=("$@")
[[ ${#lines[@]} -gt 0 ]] || lines=(2.8 3.3)
for line in "${lines[@]}"; do
  compile_line "${line}"
done
