"""Diagnostics of the output stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
