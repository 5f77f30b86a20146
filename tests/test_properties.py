"""Property tests: what must hold for every index, not just the hand-picked ones.

Each property writes .idx text (and CSV data where it runs the pipeline) built from
hypothesis' draws.  Runs are kept small so the whole file takes a few seconds.
"""

from __future__ import annotations

import itertools
import math
import re
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import csv_text, shared_registry, simple_index, units_csv
from indexdsl.check import check
from indexdsl.compile import AggregateNode, compile_model
from indexdsl.diagnostics import DiagnosticError
from indexdsl.evaluate import competition_ranks
from indexdsl.pipeline import Session, run_file
from indexdsl.syntax import parse

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def run_in_temp(index_text: str, files: dict[str, str]):
    """Write the index and its data to a fresh folder and run the pipeline there."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, content in files.items():
            (root / name).write_text(content, encoding="utf-8")
        path = root / "index.idx"
        path.write_text(index_text, encoding="utf-8")
        return run_file(path, Session(registry=shared_registry()))[0]


def try_run(index_text: str, files: dict[str, str]):
    """``(result, None)`` or ``(None, sorted error codes)``."""
    try:
        return run_in_temp(index_text, files), None
    except DiagnosticError as exc:
        return None, sorted(d.code for d in exc.diagnostics)


# ---- weights: every node's children sum to 1 after compilation ------------------------------


def _rounded(value: Fraction, decimals: int) -> str:
    """``value`` written with ``decimals`` decimals, rounded half-even, exactly."""
    scaled = round(value * 10**decimals)
    text = str(scaled).rjust(decimals + 1, "0")
    return text if decimals == 0 else f"{text[:-decimals]}.{text[-decimals:]}"


@st.composite
def hierarchies(draw, depth: int = 0):
    """A framework subtree: children (leaves or subtrees) and how their weights are written."""
    n = draw(st.integers(1, 4))
    children = [
        draw(hierarchies(depth + 1)) if depth < 2 and draw(st.booleans()) else None
        for _ in range(n)
    ]
    return {
        "children": children,
        "style": draw(st.sampled_from(["none", "equal", "fraction", "percent", "decimal"])),
        "shares": draw(st.lists(st.integers(1, 50), min_size=n, max_size=n)),
        "decimals": draw(st.integers(0, 3)),
    }


def render(tree: dict, counter: itertools.count, indicators: list[str], indent: str = "  "):
    """Framework lines for ``tree``; returns them with the exact shares of each child."""
    shares = tree["shares"]
    total = sum(shares)
    lines = []
    if tree["style"] == "equal":
        lines.append(f"{indent}weights equal")
    for child, share in zip(tree["children"], shares, strict=True):
        exact = Fraction(share, total)
        weight = {
            "none": "",
            "equal": "",
            "fraction": f"{share}/{total}",
            "percent": _rounded(exact * 100, tree["decimals"]) + "%",
            # two decimals or more: the rounding allowance is capped at 2 points in all
            "decimal": _rounded(exact, tree["decimals"] + 2),
        }[tree["style"]]
        name = f"n{next(counter)}"
        if child is None:
            indicators.append(name)
            lines.append(f"{indent}{name} {weight}".rstrip())
        else:
            lines.append(f"{indent}{name} {weight} {{".replace("  {", " {"))
            lines += render(child, counter, indicators, indent + "  ")
            lines.append(f"{indent}}}")
    return lines


def framework_text(tree: dict) -> tuple[str, list[str]]:
    indicators: list[str] = []
    lines = render(tree, itertools.count(), indicators)
    decls = "".join(f"indicator {name} = c.{name}\n" for name in indicators)
    text = (
        'index t { }\nunits c { from csv("u.csv") key id }\n'
        + decls
        + "framework {\n"
        + "\n".join(lines)
        + "\n}\n"
    )
    return text, indicators


@FAST
@given(hierarchies())
def test_weights_of_every_node_sum_to_one_after_compilation(tree):
    text, _ = framework_text(tree)
    model, diagnostics = check(parse(text, "w.idx"), shared_registry())
    # weights rounded to whole percents (or finer) are always within the rounding allowed
    assert [d for d in diagnostics if d.is_error] == [], (text, diagnostics)
    for node in model.root.walk():
        if node.children:
            assert math.isclose(sum(c.weight for c in node.children), 1.0, abs_tol=1e-12)
    graph = compile_model(model)
    for step in graph.steps:
        if isinstance(step, AggregateNode):
            assert math.isclose(float(step.weights.sum()), 1.0, abs_tol=1e-12)
            assert (step.weights >= 0).all()


@FAST
@given(st.lists(st.integers(1, 60), min_size=2, max_size=5), st.integers(0, 2))
def test_renormalised_weights_keep_the_written_proportions(shares, decimals):
    total = sum(shares)
    written = [_rounded(Fraction(s * 100, total), decimals) for s in shares]
    assume(any(Fraction(w) > 0 for w in written))
    body = "  ".join(f"i{k} {w}%" for k, w in enumerate(written))
    decls = "".join(f"indicator i{k} = c.i{k}\n" for k in range(len(shares)))
    text = 'index t { }\nunits c { from csv("u.csv") key id }\n' + decls + f"framework {{ {body} }}"
    model, diagnostics = check(parse(text), shared_registry())
    assert model is not None, diagnostics
    values = [Fraction(w) for w in written]
    got = [c.weight for c in model.root.children]
    assert got == [float(v / sum(values)) for v in values] or np.allclose(
        got, [float(v / sum(values)) for v in values], rtol=1e-15, atol=0
    )
    warned = any(d.code == "W253" for d in diagnostics)
    assert warned == (sum(values) != 100)


@FAST
@given(st.lists(st.integers(0, 100), min_size=2, max_size=5))
def test_weights_beyond_their_rounding_are_an_error(percents):
    # whole percents: rounding explains at most n × 0.5 %
    assume(abs(sum(percents) - 100) > len(percents) / 2 and sum(percents) > 0)
    body = "  ".join(f"i{k} {p}%" for k, p in enumerate(percents))
    decls = "".join(f"indicator i{k} = c.i{k}\n" for k in range(len(percents)))
    text = 'index t { }\nunits c { from csv("u.csv") key id }\n' + decls + f"framework {{ {body} }}"
    model, diagnostics = check(parse(text), shared_registry())
    assert model is None
    assert "E253" in [d.code for d in diagnostics]


# ---- rank monotonicity ----------------------------------------------------------------------


@st.composite
def monotonicity_cases(draw):
    n = draw(st.integers(3, 7))
    m = draw(st.integers(2, 4))
    values = [draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)) for _ in range(m)]
    for column in values:
        assume(len(set(column)) > 1)
    return {
        "values": values,
        "weights": draw(st.lists(st.integers(1, 9), min_size=m, max_size=m)),
        "lower": draw(st.lists(st.booleans(), min_size=m, max_size=m)),
        "aggregator": draw(st.sampled_from(["arithmetic", "geometric"])),
        "unit": draw(st.integers(0, n - 1)),
        "indicator": draw(st.integers(0, m - 1)),
        "step": draw(st.integers(1, 15)),
    }


def _monotonicity_index(case) -> str:
    m = len(case["values"])
    total = sum(case["weights"])
    indicators = {
        f"i{k}": f"c.x{k}" + (" lower is better" if case["lower"][k] else "") for k in range(m)
    }
    framework = f"aggregate {case['aggregator']}\n" + "\n".join(
        f"i{k} {w}/{total}" for k, w in enumerate(case["weights"])
    )
    # a geometric mean needs positive scores
    defaults = "normalise minmax(1, 100)" if case["aggregator"] == "geometric" else ""
    return simple_index(indicators, framework, defaults=defaults)


@FAST
@given(monotonicity_cases())
def test_improving_one_value_never_worsens_the_rank(case):
    text = _monotonicity_index(case)
    u, j = case["unit"], case["indicator"]
    improved = [list(col) for col in case["values"]]
    # "better" is up for a higher-is-better indicator and down for a lower-is-better one
    improved[j][u] += -case["step"] if case["lower"][j] else case["step"]
    assume(len(set(improved[j])) > 1)

    def table(values):
        return {"units.csv": units_csv({f"x{k}": col for k, col in enumerate(values)})}

    before = run_in_temp(text, table(case["values"]))
    after = run_in_temp(text, table(improved))
    root = before.graph.root
    assert after.units.ranks[root][u] <= before.units.ranks[root][u]
    assert after.units.scores[root][u] >= before.units.scores[root][u] - 1e-9
    # and the indicator's own normalised score did not fall
    assert after.units.scores[f"i{j}"][u] >= before.units.scores[f"i{j}"][u] - 1e-9


# ---- permutation invariance -------------------------------------------------------------------


PAIRS_BLOCK = 'pairs p { from csv("pairs.csv") between a and b undirected }'


@st.composite
def permutation_cases(draw):
    n = draw(st.integers(3, 6))
    keys = [f"k{i}" for i in range(n)]
    all_pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(all_pairs), min_size=2, unique=True))
    return {
        "keys": keys,
        "x": draw(st.lists(st.one_of(st.integers(0, 9), st.just("NA")), min_size=n, max_size=n)),
        "pairs": [(a, b, draw(st.integers(0, 9)), draw(st.integers(0, 9))) for a, b in chosen],
        "unit_order": draw(st.permutations(range(n))),
        "pair_order": draw(st.permutations(range(len(chosen)))),
        "flips": draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen))),
        "pathways": draw(st.booleans()),
    }


def _permutation_files(case, unit_order, pair_order, flips):
    keys = case["keys"]
    units = units_csv({"x": [case["x"][i] for i in unit_order]}, keys=[keys[i] for i in unit_order])
    rows = []
    for r in pair_order:
        a, b, v, w = case["pairs"][r]
        if flips[r]:
            a, b = b, a
        rows.append((keys[a], keys[b], v, w))
    return {"units.csv": units, "pairs.csv": csv_text(["a", "b", "v", "w"], rows)}


def _by_key(result, level="units"):
    """Scores and ranks of every node, keyed by unit (or by unordered pair)."""
    data = result.data
    if level == "units":
        labels = list(data.keys)
        out = result.units
    else:
        pairs = result.pair_data
        labels = [
            frozenset((data.keys[a], data.keys[b])) for a, b in zip(pairs.a, pairs.b, strict=True)
        ]
        out = result.pairs
    return {
        node: {
            label: (out.scores[node][i], int(out.ranks[node][i])) for i, label in enumerate(labels)
        }
        for node in out.scores
    }


def _assert_same(first, second):
    assert first.keys() == second.keys()
    for node in first:
        assert first[node].keys() == second[node].keys()
        for label, (score, rank) in first[node].items():
            other_score, other_rank = second[node][label]
            assert rank == other_rank, (node, label)
            assert (math.isnan(score) and math.isnan(other_score)) or math.isclose(
                score, other_score, rel_tol=1e-12, abs_tol=1e-12
            ), (node, label)


@FAST
@given(permutation_cases())
def test_reordering_units_and_rows_changes_no_score(case):
    if case["pathways"]:
        indicators = {"f": "sum(p.v)", "g": "mean(p.w)"}
        framework = "pathways p\nf 40%\ng 60%"
    else:
        indicators = {"x": "c.x", "f": "sum(p.v)", "g": "max(p.w)"}
        framework = "x 1/2\nd 1/2 { f g }"
    text = simple_index(indicators, framework, pairs=PAIRS_BLOCK)
    identity = list(range(len(case["keys"])))
    rows = list(range(len(case["pairs"])))
    original, original_errors = try_run(
        text, _permutation_files(case, identity, rows, [False] * len(rows))
    )
    shuffled, shuffled_errors = try_run(
        text, _permutation_files(case, case["unit_order"], case["pair_order"], case["flips"])
    )
    assert original_errors == shuffled_errors
    if original is None:
        return
    _assert_same(_by_key(original), _by_key(shuffled))
    if case["pathways"]:
        _assert_same(_by_key(original, "pairs"), _by_key(shuffled, "pairs"))


# ---- min-max invariance under a positive affine change ----------------------------------------


@FAST
@given(
    values=st.lists(st.integers(0, 1000), min_size=3, max_size=8).filter(lambda v: len(set(v)) > 1),
    scale=st.floats(0.01, 100.0),
    shift=st.floats(-1e4, 1e4),
    lower=st.booleans(),
    bounds=st.sampled_from([(0, 100), (60, 100), (1, 10)]),
)
def test_minmax_scores_do_not_change_under_a_positive_affine_map(
    values, scale, shift, lower, bounds
):
    direction = " lower is better" if lower else ""
    text = simple_index(
        {"x": "c.x" + direction, "y": "c.y"},
        "x 1/2\ny 1/2",
        defaults=f"normalise minmax({bounds[0]}, {bounds[1]})",
    )
    y = list(range(len(values)))
    plain = run_in_temp(text, {"units.csv": units_csv({"x": values, "y": y})})
    mapped_values = [scale * v + shift for v in values]
    mapped = run_in_temp(text, {"units.csv": units_csv({"x": mapped_values, "y": y})})
    for node in ("x", "t"):
        np.testing.assert_allclose(
            mapped.units.scores[node], plain.units.scores[node], rtol=0, atol=1e-7
        )
    assert (mapped.units.ranks["t"] == plain.units.ranks["t"]).all()
    low, high = bounds
    assert np.nanmin(plain.units.scores["x"]) == low and np.nanmax(plain.units.scores["x"]) == high


# ---- ties share a rank --------------------------------------------------------------------------


@FAST
@given(
    st.lists(
        st.one_of(st.sampled_from([0.0, 1.5, 2.0, 50.0, -3.0]), st.just(math.nan)),
        min_size=1,
        max_size=12,
    )
)
def test_competition_ranks(scores):
    array = np.array(scores)
    ranks = competition_ranks(array)
    for i, score in enumerate(scores):
        if math.isnan(score):
            assert ranks[i] == 0
        else:
            # 1 + the number of units strictly better: ties share the best rank (1, 2, 2, 4)
            assert ranks[i] == 1 + sum(1 for s in scores if not math.isnan(s) and s > score)
    for i, j in itertools.combinations(range(len(scores)), 2):
        if scores[i] == scores[j]:
            assert ranks[i] == ranks[j]


@FAST
@given(
    st.lists(st.lists(st.integers(1, 9), min_size=3, max_size=3), min_size=3, max_size=6),
    st.data(),
)
def test_units_with_equal_data_get_equal_ranks(rows, data):
    source = data.draw(st.integers(0, len(rows) - 1))
    copy = data.draw(st.integers(0, len(rows) - 1).filter(lambda k: k != source))
    rows[copy] = list(rows[source])
    columns = {f"x{k}": [row[k] for row in rows] for k in range(3)}
    for column in columns.values():
        assume(len(set(column)) > 1)
    aggregator = data.draw(st.sampled_from(["arithmetic", "geometric", "median"]))
    text = simple_index(
        {f"i{k}": f"c.x{k}" for k in range(3)},
        f"aggregate {aggregator}\ni0 50%\nd 50% {{ i1 1/3  i2 2/3 }}",
        defaults="normalise minmax(1, 100)",
    )
    result = run_in_temp(text, {"units.csv": units_csv(columns)})
    for node, ranks in result.units.ranks.items():
        assert ranks[source] == ranks[copy], node
        assert result.units.scores[node][source] == result.units.scores[node][copy]


# ---- the parser raises only DiagnosticError ----------------------------------------------------

KEYWORDS = (
    "index defaults units pairs indicator framework from key label groups illustrative "
    "between and directed undirected higher lower is better normalise normalize unit "
    "aggregate weights equal pathways reference ranks"
).split()
PUNCTUATION = ["{", "}", "(", ")", ",", "=", ".", "+", "-", "*", "/", "^", "%", "'", '"', "#"]
ATOMS = ["x", "c", "c.x", "sum", "minmax", "1", "2.5", "1e3", "33%", "16.7%", "1/3", '"t"']
TOKENS = KEYWORDS + PUNCTUATION + ATOMS


def _assert_located(error: DiagnosticError, text: str) -> None:
    assert error.diagnostics
    n_lines = text.count("\n") + 1
    for d in error.diagnostics:
        assert d.is_error and d.code.startswith("E")
        assert d.span is not None and 1 <= d.span.line <= n_lines and d.span.col >= 1


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_parser_raises_only_diagnostics_on_any_text(text):
    try:
        parse(text, "fuzz.idx")
    except DiagnosticError as error:
        _assert_located(error, text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(TOKENS), max_size=30),
    st.lists(st.sampled_from([" ", "\n", "", "  # note\n"]), min_size=30, max_size=30),
)
def test_parser_raises_only_diagnostics_on_token_soup(tokens, gaps):
    text = "".join(token + gap for token, gap in zip(tokens, gaps, strict=False))
    try:
        tree = parse(text, "soup.idx")
    except DiagnosticError as error:
        _assert_located(error, text)
    else:
        # whatever parses can be checked without an exception
        check(tree, shared_registry())


# ---- a damaged index file gets diagnostics, never an exception -------------------------------

VALID = """\
index t "T" { edition 2024 }
defaults { normalise minmax(1, 100)  aggregate arithmetic }
units c "Cities" { from csv("units.csv") key id label name groups region }
pairs p { from csv("pairs.csv") between a and b undirected }
indicator x "X" = c.x / c.y lower is better
indicator f = sum(p.v) + 1
indicator g = mean(p.w, flow = out)
indicator h = log(c.y) * 2
framework {
  reference ranks c.published
  d1 "One" 40% { aggregate geometric  f 1/2  g 1/2 }
  d2 60% { normalise zscore  x 33%  h 67% }
}
"""
VALID_FILES = {
    "units.csv": "id,name,region,x,y,published\n"
    "A,Alpha,n,1,10,1\nB,Beta,s,2,30,3\nC,Gamma,n,4,20,2\nD,Delta,s,3,5,4\n",
    "pairs.csv": "a,b,v,w\nA,B,3,1\nB,C,5,2\nA,C,1,4\nC,D,2,8\n",
}
VALID_TOKENS = re.findall(r'"[^"]*"|\d+(?:\.\d+)?%?|\w+|\S|\s+', VALID)
VOCABULARY = sorted({t for t in VALID_TOKENS if not t.isspace()} | set(KEYWORDS))


def test_the_undamaged_index_runs():
    result = run_in_temp(VALID, VALID_FILES)
    assert result.units.ranks["t"].tolist() != [0, 0, 0, 0]


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["delete", "replace", "insert"]),
            st.integers(0, len(VALID_TOKENS) - 1),
            st.sampled_from(VOCABULARY),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_damaged_index_gets_diagnostics_not_an_exception(edits):
    tokens = list(VALID_TOKENS)
    for op, position, token in edits:
        position = min(position, len(tokens) - 1)
        if op == "delete":
            del tokens[position]
        elif op == "replace":
            tokens[position] = token
        else:
            tokens.insert(position, token + " ")
    text = "".join(tokens)
    result, errors = try_run(text, VALID_FILES)  # anything but a DiagnosticError fails here
    assert result is not None or errors
