"""The face of iamlab: charts, widget logic and the HTML report, drawn from one ``Scope``.

``query`` reads the workspace, ``charts`` turns frames into plotly figures,
``widgets`` binds ipywidgets controls to them, ``detail`` renders one denial,
``report`` writes one self-contained HTML file, ``mask`` pseudonymises what a
report shares. Names load on first use, so ``import iamlab.face`` pulls in
neither plotly nor ipywidgets.

    from iamlab.face import Investigation, write_report
"""

from __future__ import annotations

from iamlab._lazy import lazy_names

# public name -> (module, name there)
_LAZY = {
    "Scope": ("iamlab.face.query", "Scope"),
    "Investigation": ("iamlab.face.widgets", "Investigation"),
    "build_report": ("iamlab.face.report", "build_report"),
    "write_report": ("iamlab.face.report", "write_report"),
    "Masker": ("iamlab.face.mask", "Masker"),
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names("iamlab.face", _LAZY, globals())
