"""The HTML report: ``indexdsl run FILE --format html`` writes ``report.html``.

One self-contained file: the style sheet is inline and every chart is an SVG drawn by
matplotlib and written into the page (no JavaScript, no font, image or script fetched
from anywhere), so the report opens offline and can be mailed or archived as it is.  It
shows the index's metadata, a banner when the data are illustrative, the overall ranking
and a bar chart of its scores, rank changes against the previous edition or the
published ranks, rank intervals when ``uncertainty.csv`` (``indexdsl uncertainty FILE
-o DIR``) lies in the output folder, each top-level dimension's ranking, a profile of
the best units, a heat map of every unit's scores at the nodes of the hierarchy, the
agreement with published ranks, the scores by group, the top pathways and a heat map
of the pathway scores, the index definition (hierarchy, weights, methods, data
preparation and the index file itself), the data sources and the provenance.

Three parts, one concern each: :mod:`.sections` and :mod:`.definition` decide what each
section shows, as plain values; the Jinja2 templates in ``templates/`` write the markup
and escape every value; :mod:`.charts` draws the charts with matplotlib.  Apart from
the time of the run, the same inputs give the same bytes.
"""

from .page import render_html

__all__ = ["render_html"]
