"""The TextMate grammar for editors (editors/indexdsl.tmLanguage.json) stays in sync
with the language's grammar (indexdsl/syntax/grammar.lark).

Every keyword literal of the lark grammar is a keyword of the TextMate grammar and the
other way round; and when the example indices are highlighted with the TextMate
patterns (applied as an editor applies them: the leftmost match wins, ties go to the
pattern listed first), every token that lark's own lexer reads as a keyword, string,
percentage or number gets the matching scope.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import REPO
from indexdsl.syntax.parser import _parser

GRAMMAR = REPO / "indexdsl" / "syntax" / "grammar.lark"
TEXTMATE = REPO / "editors" / "indexdsl.tmLanguage.json"
KEYWORD_SCOPES = ("keyword.other", "storage.type")
EXAMPLES = sorted((REPO / "indices").glob("*.idx"))


def lark_keywords() -> set[str]:
    """Every word the lark grammar writes as a literal: `"index"`, `"higher"` …"""
    text = "\n".join(
        line for line in GRAMMAR.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("//")
    )  # fmt: skip
    return set(re.findall(r'"([A-Za-z_]+)"', text))


def textmate() -> dict:
    return json.loads(TEXTMATE.read_text(encoding="utf-8"))


def scopes_of(rule: dict) -> list[str]:
    return [rule.get("name", "")] + [c["name"] for c in rule.get("captures", {}).values()]


def textmate_keywords() -> dict[str, set[str]]:
    """Per repository rule with a keyword scope, the words of its `\\b(?:a|b)\\b` groups."""
    out = {}
    for key, rule in textmate()["repository"].items():
        if any(s.startswith(KEYWORD_SCOPES) for s in scopes_of(rule)):
            words = set()
            for group in re.findall(r"\\b\(\?:([A-Za-z_|]+)\)\\b", rule["match"]):
                words |= set(group.split("|"))
            out[key] = words
    return out


def test_every_lark_keyword_is_highlighted():
    highlighted = set().union(*textmate_keywords().values())
    missing = lark_keywords() - highlighted
    assert not missing, (
        f"keywords of grammar.lark missing from {TEXTMATE.relative_to(REPO)}: {sorted(missing)}; "
        "add them to the `keyword` (or `declaration`) pattern"
    )


def test_every_highlighted_keyword_is_in_the_grammar():
    for rule, words in textmate_keywords().items():
        extra = words - lark_keywords()
        assert not extra, f"`{rule}` highlights words that are not keywords: {sorted(extra)}"


def test_a_keyword_is_in_one_rule_only():
    seen: dict[str, str] = {}
    for rule, words in textmate_keywords().items():
        for word in words:
            assert word not in seen, f"`{word}` is in `{seen.get(word)}` and `{rule}`"
            seen[word] = rule


def test_the_grammar_is_valid_and_names_its_files():
    grammar = textmate()
    assert grammar["scopeName"] == "source.indexdsl" and grammar["fileTypes"] == ["idx"]
    for include in grammar["patterns"]:
        assert include["include"][1:] in grammar["repository"]
    for key, rule in grammar["repository"].items():
        for field in ("match", "begin", "end"):
            if field in rule:
                re.compile(rule[field])  # Oniguruma reads these the same way
        assert all(s.endswith(".indexdsl") for s in scopes_of(rule) if s), key


def highlight(line: str) -> dict[int, str]:
    """Start column → scope of each token the top-level patterns find in ``line``."""
    grammar = textmate()
    rules = [grammar["repository"][p["include"][1:]] for p in grammar["patterns"]]
    out, pos = {}, 0
    while pos < len(line):
        best = None
        for rule in rules:
            m = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        if "begin" in rule:  # a string: up to its end
            end = re.compile(rule["end"]).search(line, m.end())
            out[m.start()] = rule["name"]
            pos = end.end() if end else len(line)
            continue
        if rule.get("name"):
            out[m.start()] = rule["name"]
        for group, capture in rule.get("captures", {}).items():
            if m.group(int(group)) is not None:
                out[m.start(int(group))] = capture["name"]
        pos = m.end()
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_tokens_get_their_scope(path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    keywords = lark_keywords()
    wanted = {"STRING": "string.", "PERCENT": "constant.numeric.percent", "NUMBER": "constant."}
    checked = 0
    for token in _parser().lex(text):
        if token.value in keywords and token.type != "NAME":
            prefix: tuple[str, ...] = KEYWORD_SCOPES
        elif token.type in wanted:
            prefix = (wanted[token.type],)
        else:
            continue
        scopes = highlight(lines[token.line - 1])
        scope = scopes.get(token.column - 1, "")
        assert scope.startswith(prefix), (
            f"{path.name}:{token.line}:{token.column}: `{token.value}` ({token.type}) is "
            f"highlighted as {scope or 'nothing'}"
        )
        checked += 1
    assert checked > 20
