"""Diagnostics of the data stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
