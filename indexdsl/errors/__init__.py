"""The catalogue of diagnostics: every code's wording, one constructor per code.

Each stage's problems live in the module named after it (``syntax``, ``front``,
``check``, ``data``, ``evaluate``, ``plugins``, ``output``, ``commands``); the check
stage's are in three, by what they are about: ``expressions`` (an indicator's
expression), ``framework`` (the hierarchy's nodes and leaves) and ``check`` (the
rest: settings, components, tables, weights, uncertainty, references).  A
constructor is a function named after the problem (``unknown_indicator``), whose
docstring begins with its code; it takes the facts (names, spans, counts) and returns a
:class:`~indexdsl.diagnostics.Diagnostic` with the message, labels and help worded
here, so that the same problem reads the same wherever it is found and a code means
one thing (after rustc's ``errors.rs`` and Elm's ``Reporting/Error``).

Code outside this package builds diagnostics only through these constructors; a test
checks that no ``error("E…")`` or ``warning("W…")`` is written anywhere else and that
no code has two constructors.  docs/reference/errors.md documents every code.
"""
