"""Front: AST to AST, before checking.

Resolves ``extends`` (one index built on another) and expands framework tables read
from metadata files into ordinary declarations, so that the checker sees one plain
index file.
"""
