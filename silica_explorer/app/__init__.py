"""The silica-explorer web app (Panel + HoloViews/Bokeh): ``panel serve app.py``.

A thin view over the library: no physics here. Tabs: Forcefield (edit a set, U(r), evaluate with a
melt in the background), Landscape (R_x grids, optimizer paths), Fit (optimizer runs with live plots),
Runs (open any store: follow a running fit, replay a finished one, views for d > 2), Results (Table II, PDFs, bond angles, export). Every browser session gets its own
:class:`~silica_explorer.app.state.SessionState`; long work runs in background threads
(:mod:`~silica_explorer.app.jobs`) and reaches the page through the session's poller.

    from silica_explorer.app import create_app
    create_app().servable()          # in app.py, or create_app(reference="my_ref.nc")
"""

from .main import App, create_app, load_extensions, parse_args

__all__ = ["App", "create_app", "load_extensions", "parse_args"]
