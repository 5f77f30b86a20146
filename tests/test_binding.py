"""indexdsl.binding.build: the one place a component is built from its values."""

from __future__ import annotations

import pytest

from conftest import check_text, simple_index
from indexdsl.binding import build
from indexdsl.components import ComponentValueError
from indexdsl.model import NormaliserCall
from indexdsl.plugins import load_registry


def test_positional_values_bind_in_order_and_keywords_by_name():
    minmax = load_registry().get("normaliser", "minmax").cls
    built = build(minmax, [10.0], {"high": 20.0})
    assert (built.low, built.high) == (10.0, 20.0)
    assert build(minmax).high == 100.0  # defaults fill the rest


def test_the_component_validates_what_it_is_given():
    explicit = load_registry().get("weighting", "explicit").cls
    assert build(explicit, ["40%, 60%"]).shares == "40%, 60%"
    with pytest.raises(ComponentValueError, match="not a non-negative number"):
        build(explicit, ["40%, lots"])


def test_a_normaliser_in_an_expression_is_bound_with_the_checked_parameters():
    text = simple_index({"x": "c.x", "y": "minmax(c.x, 0, 1)"}, "x\ny")
    model, diagnostics = check_text(text)
    assert not [d for d in diagnostics if d.is_error]
    call = model.indicators["y"].expression
    assert isinstance(call, NormaliserCall)
    assert (call.normaliser.low, call.normaliser.high) == (0.0, 1.0)
    assert call.plugin == "indexdsl_builtins.normalisers"
