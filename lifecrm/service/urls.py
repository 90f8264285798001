"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path

from lifecrm.service.views import sla

app_name = "service"

urlpatterns = [
    # interactions

    # cases

    # SLA
    path("sla/", sla.dashboard, name="sla-dashboard"),
    path("sla/report/", sla.report, name="sla-report"),

    # complaints

    # care events

    # surveys

]
