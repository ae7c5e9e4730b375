"""The rules of tests/conftest.py, checked by running pytest on small test files.

In CI (CI=true) a run that skipped, xfailed or xpassed a test fails; outside CI the same
run passes. Each case is a separate pytest process, loading this folder's conftest.py as
a plugin, so that the rule is exercised as CI meets it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SNIPPET_TEST = (
    "e2e/test_compat.py::test_the_snippet_here_is_the_documented_one_with_only_the_import_changed"
)
ONE_TEST = {
    "passes": "def test_it():\n    assert True\n",
    "skips": "import pytest\n\ndef test_it():\n    pytest.skip('no data here')\n",
    "xfails": "import pytest\n\n@pytest.mark.xfail(reason='a known bug')\ndef test_it():\n"
    "    assert False\n",
    "xpasses": "import pytest\n\n@pytest.mark.xfail(reason='a known bug')\ndef test_it():\n"
    "    assert True\n",
}


def run_pytest(
    args: list[str], *, cwd: Path, ci: bool, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest ARGS` in a fresh process, with CI=true or without CI."""
    base = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("SIGTRACK_")}
    base.pop("PYTEST_ADDOPTS", None)
    paths = [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]
    base["PYTHONPATH"] = os.pathsep.join(paths)
    if ci:
        base["CI"] = "true"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=cwd, env=base | env, capture_output=True, text=True,
                          check=False, timeout=300)  # fmt: skip


def run_one(tmp_path: Path, case: str, *, ci: bool) -> subprocess.CompletedProcess[str]:
    """A file holding one test that `case`s, run with this folder's conftest.py as a plugin."""
    test_file = tmp_path / "test_one.py"
    test_file.write_text(ONE_TEST[case], encoding="utf-8")
    return run_pytest(["-p", "conftest", str(test_file)], cwd=tmp_path, ci=ci)


@pytest.mark.parametrize(
    ("case", "outcome"), [("skips", "1 skipped"), ("xfails", "1 xfailed"), ("xpasses", "1 xpassed")]
)
def test_in_ci_a_run_that_did_not_pass_every_test_fails(
    tmp_path: Path, case: str, outcome: str
) -> None:
    run = run_one(tmp_path, case, ci=True)

    assert run.returncode == 1, run.stdout + run.stderr
    assert f"CI: {outcome}; everything is required to pass in CI" in run.stdout


def test_outside_ci_an_expected_failure_leaves_the_run_green(tmp_path: Path) -> None:
    run = run_one(tmp_path, "xfails", ci=False)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 xfailed" in run.stdout and "CI:" not in run.stdout


def test_in_ci_a_run_where_every_test_passed_is_green(tmp_path: Path) -> None:
    run = run_one(tmp_path, "passes", ci=True)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


@pytest.mark.parametrize(
    ("ci", "code", "shown"), [(True, 1, "required in CI"), (False, 0, "1 skipped")]
)
def test_the_old_tracker_notes_are_required_in_ci_and_their_absence_said_outside_it(
    tmp_path: Path, ci: bool, code: int, shown: str
) -> None:
    empty = tmp_path / "origin"
    empty.mkdir()

    run = run_pytest(["-rs", str(TESTS / SNIPPET_TEST)], cwd=TESTS.parent, ci=ci,
                     SIGTRACK_TEST_ORIGIN_DIR=str(empty))  # fmt: skip

    assert run.returncode == code, run.stdout + run.stderr
    assert shown in run.stdout
    assert "the old tracker's notes are absent" in run.stdout
