"""Lark parse tree → AST.  Shape only: no look-ups and no raising.

Exceptions raised inside a lark Transformer arrive wrapped in ``VisitError``; keeping
this stage free of checks keeps the parser's error story simple.  Everything that can
be wrong with a well-formed file is found later by :mod:`indexdsl.check`.
"""

from __future__ import annotations

from fractions import Fraction

from lark import Token, Transformer, Tree, v_args

from indexdsl.diagnostics import Span
from indexdsl.syntax import ast
from indexdsl.syntax.settings import setting_rules


def _unquote(token: str) -> str:
    body = token[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _resolution(text: str) -> Fraction:
    """The rounding step a decimal literal implies: ``16.7`` → 0.1, ``33`` → 1."""
    digits = text.split(".", 1)[1] if "." in text else ""
    return Fraction(1, 10 ** len(digits))


class ToAst(Transformer):
    """Builds :mod:`indexdsl.syntax.ast` nodes; needs ``file`` to make spans."""

    def __init__(self, file: str):
        super().__init__(visit_tokens=False)
        self.file = file

    # ---- helpers -----------------------------------------------------------
    def _span(self, meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    def _name(self, tok: Token) -> ast.Name:
        return ast.Name(str(tok), span=self._tok_span(tok))

    @staticmethod
    def _title(tok: Token | None) -> str | None:
        return None if tok is None else _unquote(str(tok))

    # ---- literals and components ----------------------------------------------
    @v_args(meta=True)
    def string(self, meta, children):
        return ast.Literal(_unquote(str(children[0])), "string", span=self._span(meta))

    @v_args(meta=True)
    def signed_number(self, meta, children):
        sign, number = children
        value = float(number)
        if sign is not None and str(sign) == "-":
            value = -value
        return ast.Literal(value, "number", span=self._span(meta))

    @v_args(meta=True)
    def percent(self, meta, children):
        value = float(str(children[0])[:-1]) / 100
        return ast.Literal(value, "percent", span=self._span(meta))

    @v_args(meta=True)
    def symbol(self, meta, children):
        return ast.Literal(str(children[0]), "symbol", span=self._span(meta))

    @v_args(meta=True)
    def constant_call(self, meta, children):
        call = self._make_call(meta, children)
        return ast.Literal(call, "call", span=self._span(meta))

    @v_args(meta=True)
    def keyword_arg(self, meta, children):
        return ("kw", self._name(children[0]), children[1])

    def component_args(self, children):
        return [c for c in children if c is not None]

    @v_args(meta=True)
    def component(self, meta, children):
        name_tok, args = children
        positional, keywords = [], []
        for arg in args or []:
            if isinstance(arg, tuple) and arg[0] == "kw":
                keywords.append((arg[1], arg[2]))
            else:
                positional.append(arg)
        return ast.Component(
            self._name(name_tok),
            tuple(positional),
            tuple(keywords),
            # `name()` has no args but does have parentheses: the node ends after the name
            has_parens=args is not None
            or (meta.end_line, meta.end_column) != (name_tok.end_line, name_tok.end_column),
            span=self._span(meta),
        )

    # ---- expressions ------------------------------------------------------------
    @v_args(meta=True)
    def number(self, meta, children):
        return ast.Number(float(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def name_ref(self, meta, children):
        return ast.NameRef(self._name(children[0]), span=self._span(meta))

    @v_args(meta=True)
    def column_ref(self, meta, children):
        return ast.ColumnRef(
            self._name(children[0]), self._name(children[1]), span=self._span(meta)
        )

    @v_args(meta=True)
    def keyword_expr(self, meta, children):
        return ("kw", self._name(children[0]), children[1])

    def call_args(self, children):
        return list(children)

    @v_args(meta=True)
    def call(self, meta, children):
        return self._make_call(meta, children)

    def _make_call(self, meta, children):
        name_tok, args = children
        positional, keywords = [], []
        for arg in args or []:
            if isinstance(arg, tuple) and arg[0] == "kw":
                keywords.append((arg[1], arg[2]))
            else:
                positional.append(arg)
        return ast.Call(
            self._name(name_tok), tuple(positional), tuple(keywords), span=self._span(meta)
        )

    @v_args(meta=True)
    def binary(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, span=self._span(meta))

    @v_args(meta=True)
    def power(self, meta, children):
        return ast.Binary("^", children[0], children[1], span=self._span(meta))

    @v_args(meta=True)
    def negate(self, meta, children):
        return ast.Negate(children[-1], span=self._span(meta))

    # ---- settings ---------------------------------------------------------------

    def depth_list(self, children):
        return tuple(int(float(str(c))) for c in children)

    @v_args(meta=True)
    def vary_weights(self, meta, children):
        percent = float(str(children[0])[:-1])
        depths = children[1] or ()
        return ast.UncertainInput("weights", percent=percent, depths=depths, span=self._span(meta))

    @v_args(meta=True)
    def vary_node_weights(self, meta, children):
        percent = float(str(children[0])[:-1])
        return ast.UncertainInput(
            "weights", percent=percent, depths=children[-1], weighted=True, span=self._span(meta)
        )

    @v_args(meta=True)
    def alternative_normalisers(self, meta, children):
        return ast.UncertainInput("normalise", components=tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def alternative_aggregators(self, meta, children):
        return ast.UncertainInput("aggregate", components=tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def alternative_imputers(self, meta, children):
        return ast.UncertainInput("impute", components=tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def alternative_treatments(self, meta, children):
        return ast.UncertainInput("treat", components=tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def exclude_one(self, meta, children):
        return ast.UncertainInput("exclude", span=self._span(meta))

    @v_args(meta=True)
    def uncertainty_decl(self, meta, children):
        return ast.UncertaintyDecl(tuple(children), span=self._span(meta))

    @v_args(meta=True)
    def extends_decl(self, meta, children):
        return ast.ExtendsDecl(_unquote(str(children[0])), span=self._span(meta))

    @v_args(meta=True)
    def import_decl(self, meta, children):
        return ast.ImportDecl(_unquote(str(children[0])), span=self._span(meta))

    @v_args(meta=True)
    def parameter_decl(self, meta, children):
        name, title, value = children
        return ast.ParameterDecl(self._name(name), self._title(title), value, span=self._span(meta))

    # ---- declarations -------------------------------------------------------------
    @v_args(meta=True)
    def meta_item(self, meta, children):
        return ast.MetaItem(self._name(children[0]), children[1], span=self._span(meta))

    @v_args(meta=True)
    def index_decl(self, meta, children):
        name, title, *items = children
        return ast.IndexDecl(
            self._name(name), self._title(title), tuple(items), span=self._span(meta)
        )

    @v_args(meta=True)
    def defaults_decl(self, meta, children):
        return ast.DefaultsDecl(tuple(children), span=self._span(meta))

    # Items of `units` and `pairs` blocks, and indicator options, are (what, value, span)
    # triples; the declaration keeps the first of a repeated item and records where the
    # repeats are, for the checker to report.
    @v_args(meta=True)
    def source(self, meta, children):
        return ("source", children[0], self._span(meta))

    @v_args(meta=True)
    def key(self, meta, children):
        return ("key", self._name(children[0]), self._span(meta))

    @v_args(meta=True)
    def label(self, meta, children):
        return ("label", self._name(children[0]), self._span(meta))

    def name_list(self, children):
        return tuple(self._name(t) for t in children)

    @v_args(meta=True)
    def groups(self, meta, children):
        return ("groups", children[0], self._span(meta))

    @v_args(meta=True)
    def illustrative(self, meta, children):
        columns, reason, tuned = children
        item = ast.Illustrative(
            columns, self._title(reason), span=self._span(meta), tuned=tuned is not None
        )
        return ("illustrative", item, self._span(meta))

    @v_args(meta=True)
    def exclude(self, meta, children):
        value = (self._name(children[0]), _unquote(str(children[1])))
        return ("exclude", value, self._span(meta))

    @v_args(meta=True)
    def exclude_same(self, meta, children):
        return ("exclude_same", self._name(children[0]), self._span(meta))

    @v_args(meta=True)
    def between(self, meta, children):
        names = (self._name(children[0]), self._name(children[1]))
        return ("between", names, self._span(meta))

    @v_args(meta=True)
    def directed(self, meta, children):
        return ("directed", True, self._span(meta))

    @v_args(meta=True)
    def undirected(self, meta, children):
        return ("directed", False, self._span(meta))

    @staticmethod
    def _collect(items) -> dict:
        fields: dict = {"illustrative": [], "exclude": [], "exclude_same": [], "repeated": []}
        for key, value, span in items:
            if key in ("illustrative", "exclude", "exclude_same"):  # these may be repeated
                fields[key].append(value)
            elif key in fields:
                fields["repeated"].append((key, span))
            else:
                fields[key] = value
        return fields

    @v_args(meta=True)
    def units_decl(self, meta, children):
        name, title, *items = children
        f = self._collect(items)
        return ast.UnitsDecl(
            self._name(name),
            self._title(title),
            source=f.get("source"),
            key=f.get("key"),
            label=f.get("label"),
            groups=f.get("groups", ()),
            illustrative=tuple(f["illustrative"]),
            exclude=tuple(f["exclude"]),
            repeated=tuple(f["repeated"]),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def table_decl(self, meta, children):
        name, title, *items = children
        f = self._collect(items)
        return ast.TableDecl(
            self._name(name),
            self._title(title),
            source=f.get("source"),
            key=f.get("key"),
            illustrative=tuple(f["illustrative"]),
            repeated=tuple(f["repeated"]),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def pairs_decl(self, meta, children):
        name, title, *items = children
        f = self._collect(items)
        return ast.PairsDecl(
            self._name(name),
            self._title(title),
            source=f.get("source"),
            between=f.get("between"),
            directed=f.get("directed"),
            directed_span=next((s for k, _, s in items if k == "directed"), None),
            illustrative=tuple(f["illustrative"]),
            exclude_same=tuple(f["exclude_same"]),
            repeated=tuple(f["repeated"]),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def direction(self, meta, children):
        return ("direction", str(children[0]), self._span(meta))

    @v_args(meta=True)
    def measure_unit(self, meta, children):
        return ("unit", _unquote(str(children[0])), self._span(meta))

    @v_args(meta=True)
    def indicator_decl(self, meta, children):
        name, title, expr, *options = children
        items = [(o.kind, o, o.span) if isinstance(o, ast.Setting) else o for o in options]
        f = self._collect(items)
        return ast.IndicatorDecl(
            self._name(name),
            self._title(title),
            expr,
            direction=f.get("direction"),
            normalise=f.get("normalise"),
            unit=f.get("unit"),
            impute=f.get("impute"),
            treat=f.get("treat"),
            repeated=tuple(f["repeated"]),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def percent_weight(self, meta, children):
        text = str(children[0])
        number = text[:-1]
        return ast.Weight(
            Fraction(number) / 100, text, _resolution(number) / 100, span=self._span(meta)
        )

    @v_args(meta=True)
    def number_weight(self, meta, children):
        text = str(children[0])
        # a whole number written as a weight (`1`, `2`) is exact; `0.25` may be rounded
        resolution = _resolution(text) if "." in text else Fraction(0)
        return ast.Weight(Fraction(text), text, resolution, span=self._span(meta))

    @v_args(meta=True)
    def fraction_weight(self, meta, children):
        num, _, den = children
        text = f"{num}/{den}"
        denominator = Fraction(str(den))
        value = Fraction(str(num)) / denominator if denominator else Fraction(0)
        return ast.Weight(value, text, Fraction(0), span=self._span(meta))

    @v_args(meta=True)
    def child(self, meta, children):
        auxiliary, name, title, weight, formula, body = children
        has_body = body is not None
        body = [self._misplaced(b) if isinstance(b, tuple) else b for b in body or []]
        return ast.NodeDecl(
            self._name(name),
            self._title(title),
            weight,
            settings=tuple(b for b in body if isinstance(b, ast.Setting)),
            children=tuple(b for b in body if isinstance(b, ast.NodeDecl)),
            has_body=has_body,
            formula=formula,
            auxiliary=auxiliary is not None,
            span=self._span(meta),
        )

    def formula(self, children):
        return children[0]

    def kw_auxiliary(self, children):
        return True

    def body(self, children):
        return list(children)

    @staticmethod
    def _misplaced(item) -> ast.Setting:
        """`from`/`columns` inside a nested node: kept as a setting for the checker to
        report (they only make sense at the top of the framework)."""
        kind, value = item[0], item[1]  # ("source", component, span) or ("columns", maps)
        if kind == "source":
            return ast.Setting("misplaced", component=value, span=value.span)
        return ast.Setting("misplaced", target=value[0][0], span=value[0][0].span)

    def column_map(self, children):
        return (self._name(children[0]), self._name(children[1]))

    def columns(self, children):
        return ("columns", tuple(children))

    @v_args(meta=True)
    def template_decl(self, meta, children):
        name, params, title, *items = children
        items = [self._misplaced(i) if isinstance(i, tuple) else i for i in items]
        return ast.TemplateDecl(
            self._name(name),
            tuple(params or ()),
            self._title(title),
            indicators=tuple(i for i in items if isinstance(i, ast.IndicatorDecl)),
            settings=tuple(i for i in items if isinstance(i, ast.Setting)),
            children=tuple(i for i in items if isinstance(i, ast.NodeDecl)),
            span=self._span(meta),
        )

    @v_args(meta=True)
    def framework_decl(self, meta, children):
        formula, children = children[0], children[1:]
        sources = [c[1] for c in children if isinstance(c, tuple) and c[0] == "source"]
        columns = [m for c in children if isinstance(c, tuple) and c[0] == "columns" for m in c[1]]
        return ast.FrameworkDecl(
            settings=tuple(c for c in children if isinstance(c, ast.Setting)),
            children=tuple(c for c in children if isinstance(c, ast.NodeDecl)),
            source=sources[0] if sources else None,
            columns=tuple(columns),
            formula=formula,
            span=self._span(meta),
        )

    def start(self, children):
        return list(children)

    def __default__(self, data, children, meta):
        rule = setting_rules().get(data)
        if rule is not None:  # a setting: built from its rule in the grammar
            return self._setting(rule, children, meta)
        return Tree(data, children, meta)  # pragma: no cover - grammar guard

    def _setting(self, rule, children, meta) -> ast.Setting:
        values = {}
        if rule.shape is not None:
            argument = children[-1]
            if rule.shape == "percent":
                values["percent"] = float(str(argument)[:-1])
            elif rule.shape == "number":
                values["number"] = float(str(argument))
            elif rule.shape == "target":
                values["target"] = self._name(argument)
            elif rule.shape == "expression":
                key = "column" if isinstance(argument, ast.ColumnRef) else "expression"
                values[key] = argument
            else:
                values[rule.shape] = argument
        return ast.Setting(rule.kind, **values, span=self._span(meta))
