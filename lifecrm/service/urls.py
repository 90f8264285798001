"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path  # noqa: F401

from lifecrm.service.views import emergency

app_name = "service"

urlpatterns = [
    # interactions

    # cases

    # SLA

    # complaints

    # care events

    # surveys

    # emergency
    path("emergency/", emergency.emergency, name="emergency"),
    path("emergency/<int:case_id>/", emergency.emergency_case, name="emergency-case"),

]
