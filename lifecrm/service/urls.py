"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path  # noqa: F401

from lifecrm.service.views import care

app_name = "service"

urlpatterns = [
    # interactions

    # cases

    # SLA

    # complaints

    # care events
    path("care/", care.care_rules, name="care-rules"),

    # surveys

]
