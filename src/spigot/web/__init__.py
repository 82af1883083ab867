"""The web dashboard: ``spigot serve`` (FastAPI + uvicorn), pages and a JSON API.

>>> from spigot.web import create_app
>>> app = create_app("/tmp/store")  # doctest: +SKIP
"""

from spigot.web.app import create_app

__all__ = ["create_app"]
