"""The settings of a framework node or of `defaults`, as the grammar declares them.

Each alternative of the grammar's ``?setting`` rule names its keywords, the shape of
its argument (a component, a percentage, a name, a column, or nothing) and, after
``->``, its kind.  The transformer builds an :class:`~indexdsl.syntax.ast.Setting` and
the formatter writes one back from this table alone, so that adding a setting of a
known shape to the language touches the grammar, not these two modules.
"""

from __future__ import annotations

import functools
import re

import attrs

#: argument symbols of the grammar -> the field of ``ast.Setting`` they fill
SHAPES = {
    "component": "component",
    "PERCENT": "percent",
    "NAME": "target",
    "column_ref": "column",
    # a column or an expression of per-unit columns (`reference ranks 44 - t.rank`): a
    # plain column is kept as `column`, anything else as `expression`
    "expr": "expression",
    "NUMBER": "number",
    "DIRECTION": "target",
}


@attrs.frozen
class SettingRule:
    kind: str
    keywords: str  # as written: "reference ranks"
    shape: str | None  # a field of ast.Setting, or None for keywords only
    after: str = ""  # keywords written after the argument: "decimals" in `rank at 3 decimals`


@functools.cache
def setting_rules() -> dict[str, SettingRule]:
    """Kind -> its rule, the first spelling of each kind (``normalise``, not
    ``normalize``)."""
    from importlib import resources  # here, not at import: a run of a kept tree needs none

    grammar = resources.files("indexdsl.syntax").joinpath("grammar.lark").read_text("utf-8")
    keyword_rules = {
        name: " ".join(re.findall(r'"([^"]+)"', body))
        for name, body in re.findall(r"^!(kw_\w+):(.*)$", grammar, flags=re.MULTILINE)
    }
    block = grammar[grammar.index("?setting:") :]
    block = block[: block.index("\n\n")]
    rules: dict[str, SettingRule] = {}
    for body, kind in re.findall(r"(?:\?setting:|\|)\s*(.*?)\s*->\s*(\w+)", block):
        argument = re.search(r"(?<![\"\w])(" + "|".join(SHAPES) + r")(?![\"\w])", body)
        after = re.findall(r'"([^"]+)"', body[argument.end() :]) if argument else []
        body = body[: argument.end()] if argument else body
        words = re.findall(r'"([^"]+)"', body)
        symbols = re.findall(r"(?<![\"\w])(\w+)(?![\"\w])", re.sub(r'"[^"]*"', "", body))
        shape = None
        for symbol in symbols:
            if symbol in keyword_rules:
                words.append(keyword_rules[symbol])
            elif symbol in SHAPES:
                shape = SHAPES[symbol]
        rules.setdefault(kind, SettingRule(kind, " ".join(words), shape, " ".join(after)))
    return rules
