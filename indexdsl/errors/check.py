"""Diagnostics of the check stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
