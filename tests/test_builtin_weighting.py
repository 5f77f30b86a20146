"""The built-in weighting schemes: entropy, critic, pca, ahp, equal and explicit.

``scores`` is (..., units, children) with NaN for missing scores; weights come back
as (..., children), non-negative and summing to one.  Expected values are worked out
by hand in the comments, or taken from a published example (Saaty's), or computed
independently with numpy's own ``corrcoef`` and ``eigh`` on the complete data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from indexdsl.components import ComponentValueError, Context
from indexdsl.plugins import load_registry
from indexdsl_builtins.weighting import (
    RANDOM_INDEX,
    AhpWeighting,
    CriticWeighting,
    EntropyWeighting,
    EqualWeighting,
    ExplicitWeighting,
    PcaWeighting,
    parse_comparison_matrix,
)

NAN = math.nan


def close(actual, expected, tol=1e-12):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=tol, atol=tol)


def table(*rows):
    """(units, children) scores."""
    return np.array(rows, dtype=float)


def ctx(*children):
    return Context(children=tuple(children))


def check_weights(w, shape):
    assert w.shape == shape
    assert (w >= 0).all()
    close(w.sum(axis=-1), np.ones(shape[:-1]))


# ---- entropy --------------------------------------------------------------------------


class TestEntropy:
    def test_hand_computed(self):
        # a = (1, 1, 2): p = (1/4, 1/4, 1/2), H = 2·(1/4)·ln 4 + (1/2)·ln 2 = 1.5 ln 2,
        #   e_a = 1.5 ln 2 / ln 3 = 0.946395, d_a = 0.053605
        # b = (0, 0, 1): p = (0, 0, 1), H = 0 (0 ln 0 = 0), e_b = 0, d_b = 1
        # c = (5, 5, 5): p = 1/3 each, e_c = 1, d_c = 0
        # w = (d_a, 1, 0) / (1 + d_a)
        d_a = 1 - 1.5 * math.log(2) / math.log(3)
        w, state = EntropyWeighting().weights(
            table([1, 0, 5], [1, 0, 5], [2, 1, 5]), ctx("a", "b", "c")
        )
        close(w, [d_a / (1 + d_a), 1 / (1 + d_a), 0.0])
        close(state["entropy"], [1 - d_a, 0.0, 1.0])
        close(state["diversity"], [d_a, 1.0, 0.0])

    def test_missing_units_are_left_out_column_by_column(self):
        # the same as above with a fourth unit that has no score on `a` (and 0 on `b`,
        # which keeps p_b = (0, 0, 1, 0)): n_a = 3, k = 1/ln 3, as before
        d_a = 1 - 1.5 * math.log(2) / math.log(3)
        scores = table([1, 0], [1, 0], [2, 1], [NAN, 0])
        w, _ = EntropyWeighting().weights(scores, ctx("a", "b"))
        close(w, [d_a / (1 + d_a), 1 / (1 + d_a)])

    def test_scale_invariant_per_child(self):
        # p_ij = x_ij / sum_i x_ij does not change when a child is multiplied by a constant
        x = np.random.default_rng(1).random((8, 3))
        w1, _ = EntropyWeighting().weights(x)
        w2, _ = EntropyWeighting().weights(x * [1, 10, 100])
        close(w1, w2)

    def test_negative_scores_are_an_error(self):
        with pytest.raises(ComponentValueError) as info:
            EntropyWeighting().weights(table([1, -1], [2, 3], [3, 1]), ctx("a", "b"))
        assert "non-negative" in info.value.message and "`b`" in info.value.message
        assert "minmax" in info.value.help
        assert info.value.units == (0,)

    def test_a_child_zero_everywhere_is_an_error(self):
        with pytest.raises(ComponentValueError, match="`b` score zero for every unit"):
            EntropyWeighting().weights(table([1, 0], [2, 0], [3, 0]), ctx("a", "b"))

    def test_every_child_constant_is_an_error(self):
        with pytest.raises(ComponentValueError, match="none differentiates them"):
            EntropyWeighting().weights(table([1, 4], [1, 4], [1, 4]), ctx("a", "b"))

    def test_fewer_than_two_units_is_an_error(self):
        with pytest.raises(ComponentValueError, match="at least two units"):
            EntropyWeighting().weights(table([1, 1], [NAN, 2], [NAN, 3]), ctx("a", "b"))


# ---- CRITIC ---------------------------------------------------------------------------


class TestCritic:
    def test_hand_computed_perfect_correlations(self):
        # a = (0, 1, 2), b = (0, 2, 4), c = (2, 1, 0): sample sd 1, 2, 1;
        # r_ab = 1, r_ac = r_bc = -1.  C_a = 1·(0 + 0 + 2) = 2, C_b = 2·(0 + 0 + 2) = 4,
        # C_c = 1·(2 + 2 + 0) = 4, w = (2, 4, 4)/10
        w, state = CriticWeighting().weights(
            table([0, 0, 2], [1, 2, 1], [2, 4, 0]), ctx("a", "b", "c")
        )
        close(w, [0.2, 0.4, 0.4])
        close(state["sd"], [1.0, 2.0, 1.0])
        close(state["information"], [2.0, 4.0, 4.0])

    def test_hand_computed_partial_correlation(self):
        # a = (1, 2, 3, 4), b = (1, 3, 2, 4), d = (4, 3, 2, 1); deviations from 2.5:
        # a (-1.5, -.5, .5, 1.5), b (-1.5, .5, -.5, 1.5), d = -a.  Sums of squares 5 each,
        # so the sds are equal (s = sqrt(5/3)); a·b = 2.25 - .25 - .25 + 2.25 = 4,
        # r_ab = 4/5 = 0.8, r_ad = -1, r_bd = -0.8.
        # C_a = s(0 + .2 + 2) = 2.2s, C_b = s(.2 + 0 + 1.8) = 2s, C_d = s(2 + 1.8 + 0) = 3.8s
        # w = (2.2, 2, 3.8)/8 = (0.275, 0.25, 0.475)
        scores = table([1, 1, 4], [2, 3, 3], [3, 2, 2], [4, 4, 1])
        w, state = CriticWeighting().weights(scores, ctx("a", "b", "d"))
        close(w, [0.275, 0.25, 0.475])
        close(state["correlation"], [[1, 0.8, -1], [0.8, 1, -0.8], [-1, -0.8, 1]])

    def test_matches_numpy_on_complete_data(self):
        x = np.random.default_rng(2).random((12, 4)) * [1, 3, 5, 7]
        sd = x.std(axis=0, ddof=1)
        r = np.corrcoef(x, rowvar=False)
        c = sd * (1 - r).sum(axis=1)
        w, _ = CriticWeighting().weights(x)
        close(w, c / c.sum(), tol=1e-10)

    def test_missing_values_use_pairwise_complete_units(self):
        x = np.random.default_rng(3).random((10, 3))
        x[2, 0] = x[5, 1] = NAN
        w, state = CriticWeighting().weights(x)
        ok01 = ~np.isnan(x[:, 0]) & ~np.isnan(x[:, 1])
        close(state["correlation"][0, 1], np.corrcoef(x[ok01, 0], x[ok01, 1])[0, 1], tol=1e-10)
        close(state["sd"][0], np.nanstd(x[:, 0], ddof=1), tol=1e-10)
        check_weights(w, (3,))

    def test_constant_child_is_an_error(self):
        with pytest.raises(ComponentValueError) as info:
            CriticWeighting().weights(table([1, 5], [2, 5], [3, 5]), ctx("a", "b"))
        assert "`b`" in info.value.message and "zero standard deviation" in info.value.message

    def test_perfectly_correlated_children_are_an_error(self):
        with pytest.raises(ComponentValueError, match="perfectly correlated"):
            CriticWeighting().weights(table([1, 2], [2, 4], [3, 6]), ctx("a", "b"))

    def test_too_few_units_is_an_error(self):
        with pytest.raises(ComponentValueError, match="at least 3 units") as info:
            CriticWeighting().weights(table([1, 2], [2, NAN], [3, 1], [NAN, 5]), ctx("a", "b"))
        assert "a/b" in info.value.message


# ---- PCA ------------------------------------------------------------------------------


class TestPca:
    def test_hand_computed(self):
        # a = (1, 2, 3, 4), b = (1, 3, 2, 4): r_ab = 0.8 (see CRITIC above);
        # c = (1, 0, 0, 1) has deviations (.5, -.5, -.5, .5), orthogonal to both, r = 0.
        # R = [[1, .8, 0], [.8, 1, 0], [0, 0, 1]]: eigenvalues 1.8, 1, 0.2, first
        # eigenvector (1, 1, 0)/sqrt 2, so w = (1/2, 1/2, 0) and 1.8/3 = 60 % explained
        scores = table([1, 1, 1], [2, 3, 0], [3, 2, 0], [4, 4, 1])
        w, state = PcaWeighting().weights(scores, ctx("a", "b", "c"))
        close(w, [0.5, 0.5, 0.0])
        close(state["explained_variance"], 0.6)
        close(state["eigenvalues"], [1.8, 1.0, 0.2])
        close(state["loadings"], [math.sqrt(0.9), math.sqrt(0.9), 0.0])
        assert state["units_used"] == 4

    @pytest.mark.parametrize("loadings", ["squared", "absolute"])
    def test_matches_numpy_eigh_of_corrcoef(self, loadings):
        x = np.random.default_rng(4).random((15, 4))
        x[:, 1] += x[:, 0]
        values, vectors = np.linalg.eigh(np.corrcoef(x, rowvar=False))
        v = vectors[:, -1]
        expected = v**2 if loadings == "squared" else np.abs(v) / np.abs(v).sum()
        w, state = PcaWeighting(loadings=loadings).weights(x)
        close(w, expected, tol=1e-10)
        close(state["explained_variance"], values[-1] / 4, tol=1e-10)

    def test_units_with_a_missing_score_are_left_out(self):
        x = np.random.default_rng(5).random((10, 3))
        x[3, 1] = NAN
        w, state = PcaWeighting().weights(x)
        expected, _ = PcaWeighting().weights(np.delete(x, 3, axis=0))
        close(w, expected, tol=1e-12)
        assert state["units_used"] == 9

    def test_too_few_complete_units_is_an_error(self):
        with pytest.raises(ComponentValueError, match="at least 3 units"):
            PcaWeighting().weights(table([1, NAN], [2, 3], [3, 1], [NAN, 2]), ctx("a", "b"))

    def test_constant_child_is_an_error(self):
        with pytest.raises(ComponentValueError, match="`b` have the same score"):
            PcaWeighting().weights(table([1, 2], [2, 2], [3, 2]), ctx("a", "b"))

    def test_uncorrelated_children_have_no_first_component(self):
        # deviations (-1.5, -.5, .5, 1.5) and (1, -1, -1, 1) are orthogonal: R = I
        with pytest.raises(ComponentValueError, match="not unique"):
            PcaWeighting().weights(table([1, 1], [2, -1], [3, -1], [4, 1]), ctx("a", "b"))

    def test_bad_loadings_parameter(self):
        with pytest.raises(ComponentValueError, match='"squared" or "absolute"'):
            PcaWeighting(loadings="cubed").weights(table([1, 2], [2, 3], [3, 5]))


# ---- the batch axis -------------------------------------------------------------------


@pytest.mark.parametrize(
    "scheme",
    [EntropyWeighting(), CriticWeighting(), PcaWeighting(), PcaWeighting(loadings="absolute")],
    ids=["entropy", "critic", "pca", "pca_absolute"],
)
def test_batch_equals_one_slice_at_a_time(scheme):
    x = np.random.default_rng(6).random((3, 9, 4)) + 0.1
    x[:, :, 1] += x[:, :, 0]
    x[1, 2, 3] = NAN
    x[2, 5, 0] = NAN
    w, state = scheme.weights(x, ctx("a", "b", "c", "d"))
    check_weights(w, (3, 4))
    for r in range(3):
        one, one_state = scheme.weights(x[r], ctx("a", "b", "c", "d"))
        close(w[r], one, tol=1e-12)
        for key, value in one_state.items():
            close(np.asarray(state[key])[r], value, tol=1e-12)
    deeper, _ = scheme.weights(x.reshape(3, 1, 9, 4))
    close(deeper[:, 0], w)


def test_a_single_child_weighs_one():
    for scheme in (EntropyWeighting(), CriticWeighting(), PcaWeighting(), EqualWeighting()):
        w, _ = scheme.weights(np.ones((2, 5, 1)))
        close(w, np.ones((2, 1)))


# ---- AHP ------------------------------------------------------------------------------

# Saaty's "wealth of nations" example (Saaty and Khouja 1976, "A measure of world
# influence", reproduced in Saaty 1980): the relative world influence of seven
# nations.  Published eigenvector .427 .230 .021 .052 .052 .123 .094, λmax = 7.61,
# CI = 0.10, CR = 0.08 (RI = 1.32 for n = 7).
NATIONS = ("us", "ussr", "china", "france", "uk", "japan", "w_germany")
WEALTH = (
    "1 4 9 6 6 5 5; "
    "1/4 1 7 5 5 3 4; "
    "1/9 1/7 1 1/5 1/5 1/7 1/5; "
    "1/6 1/5 5 1 1 1/3 1/3; "
    "1/6 1/5 5 1 1 1/3 1/3; "
    "1/5 1/3 7 3 3 1 2; "
    "1/5 1/4 5 3 3 1/2 1"
)


class TestAhp:
    def test_saaty_wealth_of_nations(self):
        w, state = AhpWeighting(matrix=WEALTH).weights(np.zeros((7, 7)), ctx(*NATIONS))
        close(np.round(w, 3), [0.427, 0.230, 0.021, 0.052, 0.052, 0.123, 0.094])
        assert round(state["lambda_max"], 2) == 7.61
        assert round(state["consistency_index"], 2) == 0.10
        assert round(state["consistency_ratio"], 2) == 0.08
        assert state["random_index"] == 1.32

    def test_consistent_matrix(self):
        # a_ij = w_i / w_j for w ∝ (4, 2, 1): the weights are (4, 2, 1)/7, λmax = n = 3,
        # so CI = CR = 0
        w, state = AhpWeighting(matrix="1 2 4; 1/2 1 2; 1/4 1/2 1").weights(
            np.zeros((5, 3)), ctx("a", "b", "c")
        )
        close(w, [4 / 7, 2 / 7, 1 / 7])
        close(state["lambda_max"], 3.0, tol=1e-12)
        close(state["consistency_ratio"], 0.0, tol=1e-12)

    def test_two_children_are_always_consistent(self):
        # a_12 = 3: w = (3, 1)/4; for n = 2, CI and RI are 0 and CR is taken as 0
        w, state = AhpWeighting(matrix="1, 3; 1/3, 1").weights(np.zeros((4, 2)), ctx("a", "b"))
        close(w, [0.75, 0.25])
        assert state["consistency_ratio"] == 0.0

    def test_written_forms(self):
        # commas or spaces, decimals, a trailing `;`, a 0.33 written for 1/3
        matrix, written = parse_comparison_matrix(" 1, 3 ,5;0.33 1 2 ;0.2,0.5,1; ")
        close(matrix, [[1, 3, 5], [0.33, 1, 2], [0.2, 0.5, 1]])
        assert written[1] == ["0.33", "1", "2"]
        w, _ = AhpWeighting(matrix=" 1, 3 ,5;0.33 1 2 ;0.2,0.5,1; ").weights(
            np.zeros((2, 3)), ctx("a", "b", "c")
        )
        check_weights(w, (3,))

    def test_batch_broadcasts_the_same_weights(self):
        scheme = AhpWeighting(matrix="1 3 5; 1/3 1 2; 1/5 1/2 1")
        assert scheme.data_driven is False
        w, state = scheme.weights(np.zeros((3, 6, 3)), ctx("a", "b", "c"))
        one, _ = scheme.weights(np.zeros((6, 3)), ctx("a", "b", "c"))
        assert w.shape == (3, 3)
        for r in range(3):
            close(w[r], one)
        assert state["consistency_ratio"] < 0.01

    def test_random_index_table(self):
        assert len(RANDOM_INDEX) == 15
        assert RANDOM_INDEX[:5] == (0.0, 0.0, 0.58, 0.90, 1.12)

    def test_inconsistent_judgements_are_an_error(self):
        # a > b (3), b > c (3) but c > a (3): a cycle
        scheme = AhpWeighting(matrix="1 3 1/3; 1/3 1 3; 3 1/3 1")
        with pytest.raises(ComponentValueError) as info:
            scheme.weights(np.zeros((4, 3)), ctx("a", "b", "c"))
        assert "inconsistent" in info.value.message
        assert "consistency ratio" in info.value.message and "> 0.1" in info.value.message
        assert "max_cr" in info.value.help and "row `" in info.value.help

    def test_max_cr_accepts_more_inconsistency(self):
        # a circulant cycle [1 a 1/a; 1/a 1 a; a 1/a 1] has the eigenvector (1, 1, 1)
        # with λmax = 1 + a + 1/a.  For a = 3/2: λmax = 19/6, CI = (19/6 - 3)/2 = 1/12,
        # CR = (1/12)/0.58 = 0.1437: refused by default, accepted with max_cr = 0.2
        cycle = "1 3/2 2/3; 2/3 1 3/2; 3/2 2/3 1"
        with pytest.raises(ComponentValueError, match=r"consistency ratio 0\.144 > 0\.1"):
            AhpWeighting(matrix=cycle).validate(("a", "b", "c"))
        w, state = AhpWeighting(matrix=cycle, max_cr=0.2).weights(
            np.zeros((2, 3)), ctx("a", "b", "c")
        )
        close(w, [1 / 3, 1 / 3, 1 / 3])
        close(state["lambda_max"], 19 / 6, tol=1e-12)
        close(state["consistency_index"], 1 / 12, tol=1e-12)
        close(state["consistency_ratio"], 1 / 12 / 0.58, tol=1e-12)

    @pytest.mark.parametrize(
        "matrix, message",
        [
            ("", "is empty"),
            ("1 2; ; 1/2 1", "row 2 of the comparison matrix `matrix` of `ahp` is empty"),
            ("1 x; 1/2 1", "entry `x` (row 1, column 2)"),
            ("1 2/0; 1/2 1", "entry `2/0` (row 1, column 2)"),
            ("1 50%; 2 1", "entry `50%`"),
            ("1 2 3; 1/2 1", "different lengths (row 1 has 3, row 2 has 2)"),
            ("1 2 3; 1/2 1 2", "not square: 2 rows of 3 entries"),
        ],
    )
    def test_text_errors_need_no_data(self, matrix, message):
        scheme = AhpWeighting(matrix=matrix)
        with pytest.raises(ComponentValueError) as info:
            scheme.validate()
        assert message in info.value.message
        assert info.value.help
        with pytest.raises(ComponentValueError):  # the same at run time
            scheme.weights(np.zeros((2, 2)), ctx("a", "b"))

    def test_size_must_match_the_children(self):
        scheme = AhpWeighting(matrix="1 2; 1/2 1")
        scheme.validate()  # the text alone is fine
        with pytest.raises(ComponentValueError) as info:
            scheme.validate(("a", "b", "c"))
        assert "is 2×2, but the node has 3 children (`a`, `b` and `c`)" in info.value.message

    def test_non_positive_entries(self):
        with pytest.raises(ComponentValueError) as info:
            AhpWeighting(matrix="1 0; -2 1").validate(("health", "wealth"))
        assert "`0` (health, wealth)" in info.value.message
        assert "`-2` (wealth, health)" in info.value.message

    def test_diagonal_must_be_one(self):
        with pytest.raises(ComponentValueError, match=r"diagonal .* `2` \(b, b\)"):
            AhpWeighting(matrix="1 2; 1/2 2").validate(("a", "b"))

    def test_not_reciprocal_names_the_children(self):
        with pytest.raises(ComponentValueError) as info:
            AhpWeighting(matrix="1 3 5; 1/3 1 2; 1/5 2 1").validate(("health", "wealth", "peace"))
        message = info.value.message
        assert "not reciprocal" in message
        assert (
            "row `wealth`, column `peace` is `2` but row `peace`, column `wealth` is `2`" in message
        )
        assert "should be `1/2`" in message
        assert "health" not in message.split("not reciprocal")[1]  # only the bad pair

    def test_two_decimal_reciprocals_are_accepted(self):
        AhpWeighting(matrix="1 3 7; 0.33 1 3; 0.14 0.33 1").validate(("a", "b", "c"))

    def test_more_than_fifteen_children(self):
        n = 16
        matrix = "; ".join(" ".join("1" for _ in range(n)) for _ in range(n))
        with pytest.raises(ComponentValueError, match="at most 15 children"):
            AhpWeighting(matrix=matrix).validate(tuple(f"c{i}" for i in range(n)))

    def test_negative_max_cr(self):
        with pytest.raises(ComponentValueError, match="`max_cr`"):
            AhpWeighting(matrix="1 2; 1/2 1", max_cr=-1.0).validate()


# ---- equal and explicit ---------------------------------------------------------------


class TestEqualAndExplicit:
    def test_equal(self):
        w, _ = EqualWeighting().weights(np.zeros((3, 5, 4)))
        close(w, np.full((3, 4), 0.25))

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("40%, 30%, 30%", [0.4, 0.3, 0.3]),
            ("2 1 1", [0.5, 0.25, 0.25]),
            ("1/2, 1/4, 1/4", [0.5, 0.25, 0.25]),
            ("0.2; 0.2; 0.1", [0.4, 0.4, 0.2]),
        ],
    )
    def test_explicit(self, text, expected):
        w, _ = ExplicitWeighting(shares=text).weights(np.zeros((2, 6, 3)), ctx("a", "b", "c"))
        close(w, np.array([expected, expected]))

    def test_explicit_errors(self):
        with pytest.raises(ComponentValueError, match="`x`"):
            ExplicitWeighting(shares="1 x 2").validate()
        with pytest.raises(ComponentValueError, match="`-1`"):
            ExplicitWeighting(shares="1 -1 2").validate()
        with pytest.raises(ComponentValueError, match="all zero"):
            ExplicitWeighting(shares="0 0").validate()
        with pytest.raises(ComponentValueError, match="gives 2 weights, but the node has 3"):
            ExplicitWeighting(shares="1 1").validate(("a", "b", "c"))


# ---- registration and documentation ---------------------------------------------------

PAGES = {
    "entropy": "entropy.md",
    "critic": "critic.md",
    "pca": "pca.md",
    "ahp": "ahp.md",
    "equal": "equal-weights.md",
    "explicit": "equal-weights.md",
}


def test_registered_as_builtins_and_documented():
    registry = load_registry()
    methods = Path(__file__).resolve().parents[1] / "docs" / "explanation" / "methods"
    readme = (methods / "README.md").read_text(encoding="utf-8")
    assert set(PAGES) <= set(registry.names("weighting"))
    for name, page in PAGES.items():
        provided = registry.get("weighting", name)
        assert provided.plugin.startswith("indexdsl_builtins"), name
        assert (methods / page).exists() and f"({page})" in readme, name
        assert provided.cls.summary
