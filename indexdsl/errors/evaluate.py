"""Diagnostics of the evaluate stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
