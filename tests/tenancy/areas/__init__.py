"""Teach the tenancy probe about an area's objects.

Each module here defines `side(app, make, trust, school, word) -> (params, secrets)`:
`params` maps URL parameter names (as in the routes and the OpenAPI paths, e.g.
`ticket_id`) to the id of an object of `school` (or of its `trust` for trust-level
objects); `secrets` are words that appear only in that side's objects and must never
show up for someone who may not see them. Put the `word` (e.g. "Elmprobe") in names.
"""
import importlib
import pkgutil


def sides():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "side"):
            yield module.side
