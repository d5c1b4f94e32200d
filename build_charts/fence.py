"""The chart marker: a fenced block named ``chart`` whose body is a chart id.

    ```chart
    pretraining-chinchilla-loss
    ```

pymdownx.superfences calls :func:`format_chart` for each such block (see
``markdown_extensions`` in mkdocs.yml). It only leaves a placeholder; the
plugin swaps it for the figure in ``on_page_content``, where the page is
known, so an unknown id can be reported with the page that names it.
"""

import html

PLACEHOLDER_CLASS = "bc-chart-marker"


def format_chart(source, language, css_class, options, md, **kwargs):
    chart_id = source.strip()
    return f'<div class="{PLACEHOLDER_CLASS}" data-chart="{html.escape(chart_id, quote=True)}"></div>'
