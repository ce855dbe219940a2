"""The venv the suite runs in holds the Airflow line it is meant to test (make py-test-<line>)."""

from __future__ import annotations

import os
import re
from importlib.metadata import version

import pytest

from support import REPO

LINES = sorted(p.name.removeprefix("airflow-") for p in (REPO / "requirements").glob("airflow-*"))


def pinned_airflow(line: str) -> str:
    constraints = (REPO / "requirements" / f"airflow-{line}" / "constraints.txt").read_text()
    return re.search(r"^apache-airflow==(\S+)$", constraints, re.MULTILINE)[1]


def test_there_are_exactly_the_two_lines() -> None:
    assert LINES == ["2.8", "3.3"]


@pytest.mark.parametrize("line", LINES)
def test_each_line_pins_an_airflow_of_that_line(line: str) -> None:
    assert pinned_airflow(line).startswith(f"{line}.")


def test_the_installed_airflow_is_the_pinned_one_of_the_line_under_test() -> None:
    line = os.environ.get("AIRFLOW_LINE")
    installed = version("apache-airflow")
    if line is None:  # run by hand: at least one of the lines
        assert installed in {pinned_airflow(name) for name in LINES}
    else:
        assert installed == pinned_airflow(line), f"AIRFLOW_LINE={line} but the venv has apache-airflow {installed}"
