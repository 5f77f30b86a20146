"""The version of indexdsl, in a module of its own so that any room can read it without
importing the package's front door (which leads to the API)."""

__version__ = "0.1.0"
