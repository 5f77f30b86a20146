"""Uncertainty and sensitivity replications on Dask workers: the inputs drawn once in
this process, each chunk of replications evaluated by a worker process of a local
cluster of two, and the same ranks, failures and statistics as in-process for the
same seed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs
import numpy as np
import pytest

from indexdsl.analyses.sensitivity import run_sensitivity
from indexdsl.analyses.uncertainty import CHUNK, run_uncertainty, sample
from indexdsl.cli import main
from indexdsl.pipeline import Session, check_file, evaluator, load

distributed = pytest.importorskip("distributed")

from indexdsl_builtins.dask_engine import local_cluster  # noqa: E402
from indexdsl_builtins.engines import DaskEngine  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scheduler():
    """Two single-threaded worker processes: what a worker evaluates was sent to it."""
    with local_cluster(2, trim=False) as cluster:
        yield cluster.scheduler_address


def loaded(path: Path):
    session = Session()
    model = check_file(path, session)
    return model, load(model, path, session)


def failing_index(tmp_path: Path) -> Path:
    """Min-max to [0, 100] gives zeros, which a geometric mean refuses: the replications
    that draw min-max to [0, 100] and the geometric mean fail, the others are kept."""
    (tmp_path / "u.csv").write_text("id,x,y\na,0,3\nb,5,1\nc,10,2\nd,7,7\n", encoding="utf-8")
    path = tmp_path / "t.idx"
    path.write_text(
        'index t { }\nunits c { from csv("u.csv") key id }\n'
        "indicator x = c.x\nindicator y = c.y\n"
        "framework {\n  normalise minmax(1, 100)\n  p { x y }\n}\n"
        "uncertainty {\n  normalise minmax(1, 100) or minmax(0, 100)\n"
        "  aggregate arithmetic or geometric\n  weights vary 20%\n}\n",
        encoding="utf-8",
    )
    return path


def test_uncertainty_ranks_on_two_workers_are_the_in_process_ranks(scheduler):
    model, data = loaded(REPO / "indices" / "asem_full.idx")
    size = 2 * CHUNK + 300  # three chunks, the last one short
    here = run_uncertainty(evaluator(model, data), model.uncertainty, size, seed=4)
    there = run_uncertainty(
        evaluator(model, data), model.uncertainty, size, seed=4,
        engine=DaskEngine(scheduler=scheduler),
    )  # fmt: skip
    np.testing.assert_array_equal(there.ranks, here.ranks)
    np.testing.assert_array_equal(there.nominal, here.nominal)
    assert (there.failed == here.failed).all() and there.failures == here.failures
    np.testing.assert_array_equal(there.median, here.median)
    # the replications differ from one another: the ranks were not all the nominal ones
    assert (here.ranks != here.nominal).any(axis=1).mean() > 0.5


def test_failed_replications_are_left_out_and_counted_as_in_process(tmp_path, scheduler):
    path = failing_index(tmp_path)
    model, data = loaded(path)
    size = CHUNK + 500  # failures in both chunks, numbered over the whole analysis
    here = run_uncertainty(evaluator(model, data), model.uncertainty, size, seed=5)
    there = run_uncertainty(
        evaluator(model, data), model.uncertainty, size, seed=5,
        engine=DaskEngine(scheduler=scheduler),
    )  # fmt: skip
    drawn = sample(model, model.uncertainty, size, np.random.default_rng(5))
    zero = (drawn.normaliser_choice == 1) & (drawn.aggregator_choice == 1)
    assert zero[:CHUNK].any() and zero[CHUNK:].any()
    assert (there.failed == zero).all() and sum(there.failures.values()) == int(zero.sum())
    assert there.failures == here.failures and there.levels == here.levels
    np.testing.assert_array_equal(there.ranks[~zero], here.ranks[~zero])
    for a, b in zip(there.interval(), here.interval(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(there.left_out, here.left_out)


def test_sobol_indices_on_two_workers_are_the_in_process_ones(tmp_path, scheduler):
    path = failing_index(tmp_path)
    model, data = loaded(path)
    n = 512  # 512 · (3 + 2) = 2,560 evaluations: two chunks
    here = run_sensitivity(evaluator(model, data), model.uncertainty, n, seed=3, bootstrap=50)
    there = run_sensitivity(
        evaluator(model, data), model.uncertainty, n, seed=3, bootstrap=50,
        engine=DaskEngine(scheduler=scheduler),
    )  # fmt: skip
    assert 0 < here.incomplete < n and sum(here.failures.values()) > 0
    assert there.failures == here.failures and there.incomplete == here.incomplete
    for part in ("first", "total", "first_interval", "total_interval"):
        np.testing.assert_array_equal(getattr(there, part), getattr(here, part), err_msg=part)


def test_the_commands_print_the_in_process_tables(tmp_path, scheduler, capsys):
    path = failing_index(tmp_path)
    for command in (["uncertainty", "-N", "300"], ["sensitivity", "-N", "64"]):
        args = [command[0], str(path), *command[1:], "--max-failed", "90%", "--format", "json"]
        assert main(args) == 0
        here = capsys.readouterr().out
        assert main([*args, "--engine", "dask", "--scheduler", scheduler]) == 0
        assert capsys.readouterr().out == here and '"failures"' in here


def test_a_local_cluster_of_the_workers_asked_for(tmp_path):
    path = failing_index(tmp_path)
    model, data = loaded(path)
    here = run_uncertainty(evaluator(model, data), model.uncertainty, 50, seed=1)
    engine = DaskEngine(workers=1)
    there = run_uncertainty(evaluator(model, data), model.uncertainty, 50, seed=1, engine=engine)
    np.testing.assert_array_equal(there.ranks, here.ranks)
    assert there.failures == here.failures


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--engine", "dusk"], "did you mean `dask`"),
        (["--workers", "2"], "--engine dask"),
        (["--engine", "dask", "--workers", "0"], "1 or more"),
        (["--engine", "dask", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "leave out"),
    ],
)
@pytest.mark.parametrize("command", ["uncertainty", "sensitivity"])
def test_engine_options_that_cannot_work_are_usage_errors(tmp_path, capsys, command, args, says):
    path = failing_index(tmp_path)
    assert main([command, str(path), "-N", "8", *args]) == 2
    assert says in capsys.readouterr().err


def test_in_process_replications_do_not_import_dask(tmp_path):
    path = failing_index(tmp_path)
    code = (
        "import sys; from indexdsl.cli import main; "
        f"rc = main(['uncertainty', {str(path)!r}, '-N', '20', '--max-failed', '1']); "
        "assert rc == 0; assert 'dask' not in sys.modules and 'distributed' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, capture_output=True)


def test_a_replication_that_draws_nothing_new_is_the_nominal_index(tmp_path, scheduler):
    """What a worker evaluates is the index itself: a replication with the nominal
    choices gives the nominal ranks there."""
    path = failing_index(tmp_path)
    model, data = loaded(path)
    spec = attrs.evolve(
        model.uncertainty, normalisers=model.uncertainty.normalisers[:1], weight_noise=0.0
    )
    spec = attrs.evolve(spec, aggregators=spec.aggregators[:1])
    there = run_uncertainty(
        evaluator(model, data), spec, 5, seed=1, engine=DaskEngine(scheduler=scheduler)
    )
    assert (there.ranks == there.nominal).all()


def test_the_api_sends_the_replications_to_the_engine_named(tmp_path, scheduler):
    import indexdsl

    results = indexdsl.load(failing_index(tmp_path)).run()
    here = results.uncertainty(samples=300, seed=2)
    there = results.uncertainty(samples=300, seed=2, engine="dask", scheduler=scheduler)
    np.testing.assert_array_equal(there.ranks, here.ranks)
    assert there.failures == here.failures and sum(here.failures.values()) > 0
    sobol = results.sensitivity(n=64, seed=2, bootstrap=20, engine="dask", scheduler=scheduler)
    np.testing.assert_array_equal(
        sobol.total, results.sensitivity(n=64, seed=2, bootstrap=20).total
    )
    with pytest.raises(TypeError, match="partitions"):
        results.uncertainty(samples=10, engine="dask", partitions=3)
    with pytest.raises(ValueError, match="no engine `dusk`"):
        results.uncertainty(samples=10, engine="dusk")


class _Future:
    """What `replicate` reads of a Dask future, holding a worker's answer."""

    def __init__(self, outcome):
        self.outcome = outcome

    def result(self):
        return self.outcome

    def release(self):
        pass


def test_a_plugin_error_on_a_worker_is_raised_here_with_its_diagnostic(tmp_path):
    """indexdsl's exceptions do not survive pickling as they are: the worker sends the
    diagnostic back, and the same exception is raised in the `indexdsl` process."""
    import pickle

    from indexdsl.diagnostics import PluginError
    from indexdsl.errors import evaluate as evaluate_errors
    from indexdsl.evaluate import Evaluator
    from indexdsl_builtins.dask_replications import ALTERNATIVES, _evaluate_chunk, _received
    from indexdsl_builtins.dask_replications import _Shipment as Shipment

    diagnostic = evaluate_errors.plugin_returned_bad_values("normaliser", "p", "NaN", None)

    class Failing(Evaluator):
        def level(self, *args, **kwargs):
            raise PluginError(diagnostic)

    model, data = loaded(failing_index(tmp_path))
    chunk = sample(model, model.uncertainty, 4, np.random.default_rng(1))
    alternatives = {name: getattr(chunk, name) for name in ALTERNATIVES}
    shipped = Shipment(Failing, evaluator(model, data).graph, data, alternatives)
    outcome = pickle.loads(pickle.dumps(_evaluate_chunk(shipped, chunk, model.root.name)))
    with pytest.raises(PluginError) as info:
        _received(chunk, _Future(outcome))
    assert info.value.diagnostic == diagnostic
