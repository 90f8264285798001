"""Choice labels of lifecrm's models, read without rebuilding the field's whole table on every call.

Django's `get_FOO_display()` builds a dict of every (value, label) pair of the field's choices on each call, and
hashing each lazy label translates it: a field of eight choices costs eight translations to show one. The busy
pages call it a few dozen times each (the customer 360's profile, policies, timeline). `install()` (at start,
from `CoreConfig.ready`) gives each lifecrm model field with choices a `get_FOO_display` that looks the value up
in the field's labels, kept once per field: the labels stay lazy, so the page's language is still the one used.
"""
from __future__ import annotations

from functools import partialmethod

from django.apps import apps
from django.utils.encoding import force_str


def _display(instance, field) -> str:
    labels = field.__dict__.get("_lifecrm_labels")
    if labels is None:
        labels = field.__dict__["_lifecrm_labels"] = dict(field.flatchoices)
    value = getattr(instance, field.attname)
    try:
        label = labels.get(value, value)
    except TypeError:  # an unhashable value (a list in a JSON field): Django's own way
        return instance._get_FIELD_display(field)
    return force_str(label, strings_only=True)


def install(prefix: str = "lifecrm.") -> None:
    for model in apps.get_models():
        if not model.__module__.startswith(prefix):
            continue
        for field in model._meta.concrete_fields:
            name = f"get_{field.name}_display"
            # Django's own method only (a partialmethod); a model's hand-written one stays
            if field.choices and field.model is model and isinstance(model.__dict__.get(name), partialmethod):
                setattr(model, name, partialmethod(_display, field=field))
