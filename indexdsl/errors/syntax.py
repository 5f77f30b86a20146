"""Diagnostics of the syntax stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
