"""REST API v1, assembled from each app's api module."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "lifecrm.api"
    label = "api"
    verbose_name = _("API")
