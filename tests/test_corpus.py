"""A generated corpus of malformed index files: each example index mutated token by
token (a stray `{` or `}` inserted after a token, a token deleted, a token doubled).

The property, for every case: checking it either succeeds or gives diagnostics, each
with a code and, for an error, a place; a case that checks is then loaded and computed
with the same property; never another exception (a plugin blamed for the user's
mistake, an internal error) and never a hang.  A stray brace is never accepted.  The cases are made here, deterministically,
from the example indices; `CASES` counts them (over 1,000)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexdsl.diagnostics import Diagnostic, DiagnosticError
from indexdsl.pipeline import Session, check_source, evaluate_model, load
from indexdsl.plugins import load_registry
from indexdsl.syntax.parser import _parser

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "indices").glob("*.idx") if p.stem != "brics_large")
#: seconds one case may take (a check takes milliseconds; this catches a hang)
CASE_LIMIT = 5.0


def tokens(text: str) -> list:
    return list(_parser().lex(text))


def mutations(text: str):
    """(kind, mutated text) for each token: brace inserted after it, deleted, doubled."""
    for token in tokens(text):
        start, end = token.start_pos, token.end_pos
        yield "brace{", text[:end] + " { " + text[end:]
        yield "brace}", text[:end] + " } " + text[end:]
        yield "delete", text[:start] + " " + text[end:]
        yield "double", text[:end] + " " + text[start:end] + text[end:]


def cases():
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        for number, (kind, mutated) in enumerate(mutations(text)):
            yield path, kind, number, mutated


CASES = sum(1 for _ in cases())


def well_formed(diagnostic: Diagnostic) -> bool:
    return bool(diagnostic.code) and (not diagnostic.is_error or diagnostic.span is not None)


def test_the_corpus_has_over_a_thousand_cases():
    assert CASES > 1000


@pytest.mark.parametrize("example", [p.name for p in EXAMPLES])
def test_every_mutation_ends_in_a_result_or_located_diagnostics(example):
    registry = load_registry()
    failures = []
    for path, kind, number, mutated in cases():
        if path.name != example:
            continue
        # checked where the example lives, so that its data and `extends` are found
        target = path.with_name(f".corpus-{path.name}")
        started = time.perf_counter()
        checked = check_source(mutated, target, Session(registry=registry))
        took = time.perf_counter() - started
        errors = [d for d in checked.diagnostics if d.is_error]
        if took > CASE_LIMIT:
            failures.append((kind, number, f"took {took:.1f} s"))
        if not all(well_formed(d) for d in checked.diagnostics):
            failures.append((kind, number, "a diagnostic without a code or place"))
        if kind.startswith("brace") and not errors:
            failures.append((kind, number, "a stray brace was accepted"))
        if checked.model is not None:  # then the data: loaded, and the index computed
            session = Session(registry=registry)
            try:
                evaluate_model(checked.model, load(checked.model, target, session))
            except DiagnosticError as exc:
                if not all(well_formed(d) for d in exc.diagnostics):
                    failures.append((kind, number, "a data diagnostic without a code or place"))
            except Exception as exc:  # a plugin failure or an internal error: not for users
                failures.append((kind, number, f"{type(exc).__name__}: {exc}"))
    assert not failures, failures[:10]
