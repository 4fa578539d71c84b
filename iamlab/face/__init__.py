"""The face of iamlab: charts, widget logic and the HTML report, drawn from one ``Scope``.

``query`` reads the workspace, ``charts`` turns frames into plotly figures,
``widgets`` binds ipywidgets controls to them, ``report`` writes one
self-contained HTML file, ``mask`` pseudonymises what a report shares.
"""

from __future__ import annotations

from iamlab.face.query import Scope

__all__ = ["Scope"]
