"""Diagnostics of the front stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
