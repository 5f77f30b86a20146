"""A language server for index files (``indexdsl lsp``), for any editor that speaks the
Language Server Protocol: diagnostics as you type (the codes, spans and help of
``indexdsl check``, with the data checks once the data are read), completion, hover,
go to definition, find references, rename, formatting and quick fixes.

:mod:`.symbols` indexes the names of a file, :mod:`.analysis` checks a document in two
stages through the pipeline, :mod:`.features` answers each request, and :mod:`.server`
wires them to the protocol with pygls (the optional ``lsp`` extra, imported only by
``indexdsl lsp``).
"""
