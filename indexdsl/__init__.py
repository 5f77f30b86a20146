"""indexdsl: composite indices written in a small text language and computed with numpy."""

__version__ = "0.1.0"
