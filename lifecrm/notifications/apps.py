"""Notifications: one outbox for every app (SMS, e-mail, letters), templates, channels."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "lifecrm.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from lifecrm.notifications import jobs, timeline  # noqa: F401  (the daily step, the timeline source)
