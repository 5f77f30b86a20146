"""Diagnostics of the plugins stage; see :mod:`indexdsl.errors`."""

from __future__ import annotations
