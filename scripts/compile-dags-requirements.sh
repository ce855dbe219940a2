#!/usr/bin/env bash
# Regenerates the pinned Python requirement files of the DAGs from their .in files.
#
#   requirements/airflow-constraints.txt  what the Airflow image installs (COPY'd into the image):
#     apache-airflow 2.8.0 + the image's extra pins, resolved for Python 3.11 against PyPI as it
#     stood when Airflow 2.8.0 was current (--exclude-newer; aiobotocore 2.10.0, which botocore 1.34
#     needs, came out four days later), since Airflow's own constraint files are not reachable here.
#   requirements/dags-test.txt            the test venv: the same pins plus moto, pytest and ruff.
#
# Run after editing a .in file: scripts/compile-dags-requirements.sh (needs uv; `make py-venv` installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-.venv/bin/uv}
common=(--quiet --python-version 3.11 --python-platform linux --custom-compile-command scripts/compile-dags-requirements.sh)

"$uv" pip compile "${common[@]}" --exclude-newer 2024-01-15 --exclude-newer-package aiobotocore=2024-01-20 \
  requirements/airflow-image.in -o requirements/airflow-constraints.txt
"$uv" pip compile "${common[@]}" -c requirements/airflow-constraints.txt \
  requirements/dags-test.in -o requirements/dags-test.txt
