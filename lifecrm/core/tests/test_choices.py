"""`get_FOO_display` of lifecrm's models (lifecrm.core.choices): the label in the active language, the value
itself when it is not a choice, Django's answer in every case."""
from __future__ import annotations

from functools import partialmethod

from django.apps import apps
from django.db import models
from django.utils import translation

from lifecrm.core.choices import _display
from lifecrm.core.models import AuditEvent


def test_the_label_is_in_the_active_language_and_an_unknown_value_shows_itself():
    event = AuditEvent(action=AuditEvent.Action.REVEAL)
    with translation.override("en"):
        assert event.get_action_display() == "reveal of a sensitive field"
    with translation.override("zh-hant"):
        shown = event.get_action_display()
    assert shown != "reveal of a sensitive field" and shown == str(AuditEvent.Action.REVEAL.label)
    event.action = "no-such-action"
    assert event.get_action_display() == "no-such-action"


def test_every_lifecrm_field_with_choices_answers_as_django_does():
    """Each model field of lifecrm with choices uses the cached labels and gives Django's own answer for each of
    its values and for one that is not a choice (in both languages)."""
    checked = 0
    for model in apps.get_models():
        if not model.__module__.startswith("lifecrm."):
            continue
        for field in model._meta.concrete_fields:
            if not field.choices or field.model is not model:
                continue
            method = model.__dict__[f"get_{field.name}_display"]
            assert isinstance(method, partialmethod) and method.func is _display, (model, field.name)
            instance = model()
            for value in [value for value, _label in field.flatchoices] + ["not-a-choice"]:
                setattr(instance, field.attname, value)
                for language in ("en", "zh-hant"):
                    with translation.override(language):
                        assert getattr(instance, f"get_{field.name}_display")() == \
                            models.Model._get_FIELD_display(instance, field)
            checked += 1
    assert checked > 50  # the customer's kind, sex, ID type…, a policy's status, an interaction's channel…
