"""Workbench URLs."""
from django.urls import path

from lifecrm.workbench.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
]
