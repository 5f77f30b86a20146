"""Diagnostics of the commands stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
