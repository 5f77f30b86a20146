"""The Sobol' points of the sensitivity analysis are scipy's, computed without importing
``scipy.stats`` (its import is most of a sensitivity command's start-up)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import qmc

from indexdsl.analyses.sobol import max_dimensions, sobol


@pytest.mark.parametrize(
    ("d", "n", "seed"),
    [
        (1, 1, 0),
        (2, 2, 1),
        (2, 8, 1),
        (5, 1024, 3),
        (24, 1024, 1),
        (61, 4096, 12345),
        (1024, 64, 7),
    ],
)
def test_points_are_scipys_bit_for_bit(d, n, seed):
    ours = sobol(d, n, np.random.default_rng(seed))
    theirs = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(seed)).random(n)
    np.testing.assert_array_equal(ours, theirs)


def test_the_callers_generator_is_left_where_scipy_leaves_it():
    # the bootstrap draws from the same generator afterwards
    mine, scipys = np.random.default_rng(5), np.random.default_rng(5)
    sobol(6, 256, mine)
    qmc.Sobol(6, scramble=True, rng=scipys).random(256)
    np.testing.assert_array_equal(mine.random(10), scipys.random(10))


def test_more_dimensions_than_the_table_holds_go_to_scipy():
    d = max_dimensions() + 3
    ours = sobol(d, 4, np.random.default_rng(2))
    theirs = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(2)).random(4)
    np.testing.assert_array_equal(ours, theirs)


def test_a_sensitivity_analysis_does_not_import_scipy_stats():
    code = (
        "import sys\n"
        "from indexdsl.analyses.sensitivity import run_sensitivity\n"
        "from indexdsl.analyses.sobol import sobol\n"
        "import numpy as np\n"
        "sobol(8, 64, np.random.default_rng(1))\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_sensitivity_command_runs_without_scipy():
    code = (
        "import sys\n"
        "sys.modules['scipy'] = None  # as if scipy were not installed\n"
        "from indexdsl.cli import main\n"
        "sys.argv = ['indexdsl', 'sensitivity', 'indices/asem_full.idx', '-N', '16',\n"
        "            '--format', 'json']\n"
        "main()\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["evaluations"] == 16 * 6
