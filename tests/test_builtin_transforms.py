"""The built-in transforms added after log, sqrt, abs, cap, min and max: log_shift,
boxcox, winsorise (COINr's outlier rule), floor and ceiling.

Transforms work on values before normalisation, so direction does not concern them;
what matters is that missing values stay missing, that a leading batch axis gives the
row-by-row result, and that bad input stops with a helpful message.  Expected values
are worked out by hand in the comments.
"""

from __future__ import annotations

import builtins
import math
import sys
import textwrap

import numpy as np
import pytest

from indexdsl.components import ComponentValueError
from indexdsl.pipeline import Session, run_file
from indexdsl.plugins import load_registry
from indexdsl_builtins.transforms import (
    BoxCoxTransform,
    CeilingTransform,
    FloorTransform,
    LogShiftTransform,
    LogTransform,
    WinsoriseTransform,
    sample_kurtosis,
    sample_skewness,
    winsorise_values,
)

NAN = math.nan


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12, atol=1e-12)


def arr(*values):
    return np.array(values, dtype=float)


# nine units at 1 and one at 10:  mean 1.9, deviations -0.9 (x9) and 8.1
#   m2 = (9 * 0.81 + 65.61) / 10 = 7.29,   m3 = (9 * -0.729 + 531.441) / 10 = 52.488
#   m4 = (9 * 0.6561 + 4304.6721) / 10 = 431.0577
#   g1 = 52.488 / 7.29^1.5 = 52.488 / 19.683 = 8/3;  G1 = g1 * sqrt(10 * 9) / 8 = sqrt(90) / 3
#   g2 = 431.0577 / 53.1441 - 3 = 46/9;  G2 = ((11 * 46/9) + 6) * 9 / (8 * 7) = 560 / 56 = 10
ONE_OUTLIER = arr(*[1] * 9, 10)


class TestSampleMoments:
    def test_hand_computed_skewness_and_kurtosis(self):
        assert sample_skewness(ONE_OUTLIER) == pytest.approx(math.sqrt(90) / 3, rel=1e-12)
        assert sample_kurtosis(ONE_OUTLIER) == pytest.approx(10, rel=1e-12)
        # 0, 0, 0, 3: mean 0.75, m2 = 1.6875, m3 = 2.53125, m4 = 6.64453125
        #   g1 = 2/sqrt(3), G1 = g1 * sqrt(12) / 2 = 2;  g2 = -2/3, G2 = (5 * -2/3 + 6) * 3 / 2 = 4
        assert sample_skewness(arr(0, 0, 0, 3)) == pytest.approx(2, rel=1e-12)
        assert sample_kurtosis(arr(0, 0, 0, 3)) == pytest.approx(4, rel=1e-12)

    def test_same_definitions_as_scipy_bias_false(self):
        stats = pytest.importorskip("scipy.stats")
        rng = np.random.default_rng(7)
        for n in (4, 5, 9, 40):
            v = rng.lognormal(size=n)
            assert sample_skewness(v) == pytest.approx(stats.skew(v, bias=False), rel=1e-10)
            assert sample_kurtosis(v) == pytest.approx(
                stats.kurtosis(v, bias=False, fisher=True), rel=1e-10
            )

    def test_undefined_cases(self):
        assert math.isnan(sample_skewness(arr(1, 2)))
        assert math.isnan(sample_kurtosis(arr(1, 2, 3)))
        assert math.isnan(sample_skewness(arr(4, 4, 4, 4)))


class TestWinsorise:
    def test_one_high_outlier_is_pulled_in(self):
        # skewness 3.16 >= 2 and kurtosis 10 >= 3.5: winsorise the maximum (10) to the next
        # value inward (1); the values are then constant, skewness undefined: the rule passes
        values, how, points = winsorise_values(ONE_OUTLIER, 2, 3.5, 5)
        close(values, [1] * 10)
        assert (how, points) == ("winsorised", 1)
        close(WinsoriseTransform().apply(ONE_OUTLIER), [1] * 10)

    def test_negative_skew_winsorises_the_low_end(self):
        # the mirror image: nine at 10 and one at 1 (skewness -3.16, kurtosis 10)
        x = arr(1, *[10] * 9)
        close(WinsoriseTransform().apply(x), [10] * 10)

    def test_thresholds(self):
        # 0, 0, 0, 3 has skewness 2 and kurtosis 4 (see TestSampleMoments): with thresholds
        # just below both it fails, and winsorising the 3 to 0 makes it pass; with either
        # threshold just above, it passes untouched (the rule needs both to be exceeded)
        close(WinsoriseTransform().apply(arr(0, 0, 0, 3), 1.99, 3.99), [0, 0, 0, 0])
        close(WinsoriseTransform().apply(arr(0, 0, 0, 3), skew=2.01), [0, 0, 0, 3])
        close(WinsoriseTransform().apply(arr(0, 0, 0, 3), 1.99, 4.01), [0, 0, 0, 3])

    def test_log_fallback_on_the_original_values(self):
        # max_points = 0: no point may be winsorised, the rule still fails, so COINr's
        # log_CT applies to the original values: log(x - min + 0.01 * (max - min))
        #   1 -> log(0 + 0.09),  10 -> log(9 + 0.09)
        values, how, points = winsorise_values(ONE_OUTLIER, 2, 3.5, 0)
        close(values, [math.log(0.09)] * 9 + [math.log(9.09)])
        assert (how, points) == ("log", 0)

    def test_tied_extremes_move_together(self):
        # fifteen at 0 and two tied at 5 (skewness 2.61, kurtosis 5.44): the two are
        # winsorised together, to 0, and count as two points
        x = arr(*[0] * 15, 5, 5)
        assert abs(sample_skewness(x)) >= 2 and sample_kurtosis(x) >= 3.5
        values, how, points = winsorise_values(x, 2, 3.5, 5)
        close(values, [0] * 17)
        assert (how, points) == ("winsorised", 2)

    def test_missing_values_are_skipped_and_stay_missing(self):
        x = arr(NAN, *[1] * 9, 10, NAN)
        close(WinsoriseTransform().apply(x), [NAN] + [1] * 10 + [NAN])

    def test_no_outliers_leaves_values_unchanged(self):
        x = arr(3, 1, 4, 1, 5, 9, 2, 6)
        close(WinsoriseTransform().apply(x), x)

    def test_leading_batch_axis(self):
        batch = np.stack([ONE_OUTLIER, ONE_OUTLIER[::-1] * 3, np.arange(10.0)])
        out = WinsoriseTransform().apply(batch, np.float64(2), np.float64(3.5), np.float64(5))
        for row in range(3):
            close(out[row], WinsoriseTransform().apply(batch[row]))

    def test_errors(self):
        with pytest.raises(ComponentValueError, match="at least 4 units") as info:
            WinsoriseTransform().apply(arr(1, 2, NAN, 3))
        assert "drop `winsorise`" in info.value.help
        with pytest.raises(ComponentValueError, match="`max_points` of `winsorise`"):
            WinsoriseTransform().apply(ONE_OUTLIER, max_points=2.5)
        with pytest.raises(ComponentValueError, match="`skew` of `winsorise` must be a single"):
            WinsoriseTransform().apply(ONE_OUTLIER, skew=ONE_OUTLIER)
        with pytest.raises(ComponentValueError, match="one value per unit"):
            WinsoriseTransform().apply(np.float64(3))


class TestLogShift:
    def test_hand_computed(self):
        # log(x + 1): 0 -> 0, e - 1 -> 1;  shift 2: -1 -> log(1) = 0
        close(LogShiftTransform().apply(arr(0, math.e - 1, NAN)), [0, 1, NAN])
        close(LogShiftTransform().apply(arr(-1, 1), 2), [0, math.log(3)])

    def test_log_unchanged(self):
        close(LogTransform().apply(arr(1, math.e)), [0, 1])

    def test_batch(self):
        batch = np.array([[0.0, 1.0], [2.0, 3.0]])
        close(LogShiftTransform().apply(batch), np.log(batch + 1))

    def test_not_positive(self):
        with pytest.raises(ComponentValueError, match="x \\+ shift must be positive") as info:
            LogShiftTransform().apply(arr(0, -1, 3))
        assert info.value.units == (1,)


class TestBoxCox:
    def test_hand_computed(self):
        # lambda 0.5: (x^0.5 - 1) / 0.5 -> 1: 0, 4: 2, 9: 4;  lambda 0: log x
        close(BoxCoxTransform().apply(arr(1, 4, 9, NAN), 0.5), [0, 2, 4, NAN])
        close(BoxCoxTransform().apply(arr(1, math.e), 0.0), [0, 1])
        # lambda 2: (x^2 - 1) / 2 -> 3: 4
        close(BoxCoxTransform().apply(arr(3), 2), [4])

    def test_batch(self):
        batch = np.array([[1.0, 4.0], [9.0, 16.0]])
        close(BoxCoxTransform().apply(batch, 0.5), [[0, 2], [4, 6]])

    def test_not_positive(self):
        with pytest.raises(ComponentValueError, match="positive values") as info:
            BoxCoxTransform().apply(arr(1, 0, 2), 0.5)
        assert info.value.units == (1,)

    def test_without_scipy_the_help_says_what_to_install(self, monkeypatch):
        real_import = builtins.__import__

        def no_scipy(name, *args, **kwargs):
            if name == "scipy" or name.startswith("scipy."):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        for module in [m for m in sys.modules if m == "scipy" or m.startswith("scipy.")]:
            monkeypatch.delitem(sys.modules, module)
        monkeypatch.setattr(builtins, "__import__", no_scipy)
        with pytest.raises(ComponentValueError, match="needs scipy") as info:
            BoxCoxTransform().apply(arr(1, 2), 0.5)
        assert info.value.help == 'install the statistics extra: pip install "indexdsl[stats]"'


class TestFloorAndCeiling:
    def test_hand_computed(self):
        close(FloorTransform().apply(arr(-2, 0, 5, NAN), 0), [0, 0, 5, NAN])
        close(CeilingTransform().apply(arr(-2, 0, 5, NAN), 1), [-2, 0, 1, NAN])

    def test_batch(self):
        batch = np.array([[1.0, 5.0], [7.0, -1.0]])
        close(FloorTransform().apply(batch, 2), [[2, 5], [7, 2]])
        close(CeilingTransform().apply(batch, 2), [[1, 2], [2, -1]])


def test_plugin_registration_does_not_import_scipy():
    import subprocess

    code = (
        "import sys; from indexdsl.plugins import load_registry; load_registry(); "
        "print(any(m == 'scipy' or m.startswith('scipy.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_new_transforms_through_the_language(tmp_path):
    (tmp_path / "units.csv").write_text(
        "id,name,x,y\n" + "".join(f"u{i},U{i},{i + 1},{i}\n" for i in range(9)) + "u9,U9,100,-5\n"
    )
    path = tmp_path / "t.idx"
    path.write_text(
        textwrap.dedent(
            """
            index t "Test" { edition 2024 }
            units c "Units" {
              from csv("units.csv")
              key id
              label name
            }
            indicator treated = winsorise(c.x, max_points = 3)
            indicator floored = ceiling(floor(c.y, 0), 6)
            indicator shifted = log_shift(c.y, 6)
            framework {
              treated
              floored
              shifted
            }
            """
        ).lstrip()
    )
    result, _ = run_file(path, Session(registry=load_registry()))
    raw = result.units.raw
    # 1..9 and 100: skewness 3.12, kurtosis 9.80; the 100 is winsorised to 9, and then
    # 1..9, 9 passes
    close(raw["treated"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    close(raw["floored"], [0, 1, 2, 3, 4, 5, 6, 6, 6, 0])
    close(raw["shifted"], np.log(np.array([*range(9), -5]) + 6.0))
