"""The template engine of service messages and letters: the project's template folders, then each installed app's
`templates/` folder (in INSTALLED_APPS order: billing's messages, this app's letter layout), with Django's built-in
tags and filters only.

The project's engine (settings.TEMPLATES) imports every installed app's template tag libraries the first time
it is used; DRF's pull in requests, urllib3 and more. That costs half a second in each process of the daily
batch that renders a message (py-spy), and messages and letters load no library.
"""
from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.template import Engine

LOADERS = ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"]


@cache
def engine() -> Engine:
    """Templates are cached in the process, except under DEBUG (an edited template shows at once)."""
    dirs = [str(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])]
    loaders = LOADERS if settings.DEBUG else [("django.template.loaders.cached.Loader", LOADERS)]
    return Engine(dirs=dirs, loaders=loaders, debug=settings.DEBUG)


setting_changed.connect(lambda **kwargs: engine.cache_clear(), weak=False)
