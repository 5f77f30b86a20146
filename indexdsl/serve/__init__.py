"""The explorer (``indexdsl serve FILE``): a page in the browser that re-ranks an index
as its weights and the choices of its `uncertainty` block move, and saves what was
explored as a new index file.

:mod:`.session` holds the checked, loaded and compiled index and answers "rank with
these weights" with one replication of the batched engine; :mod:`.server` serves the
page (``static/``) and the JSON endpoints on 127.0.0.1 with the standard library.
"""
