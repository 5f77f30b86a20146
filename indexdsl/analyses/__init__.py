"""Analyses of an evaluated index: uncertainty, sensitivity, what-if, audit, compare
and explain.  Each reads the compiled graph and the evaluator; none parses or checks."""
