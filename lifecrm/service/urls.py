"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path  # noqa: F401

from lifecrm.service.views import complaints

app_name = "service"

urlpatterns = [
    # interactions

    # cases

    # SLA

    # complaints
    path("complaints/", complaints.register, name="complaints"),
    path("complaints/export.xlsx", complaints.register_export, name="complaints-export"),
    path("complaints/statistics/", complaints.statistics, name="complaint-statistics"),
    path("complaints/<int:complaint_id>/", complaints.detail, name="complaint"),
    path("complaints/<int:complaint_id>/letter/<slug:letter_kind>.pdf", complaints.letter, name="complaint-letter"),
    path("complaints/<int:complaint_id>/<slug:complaint_action>/", complaints.act, name="complaint-act"),

    # care events

    # surveys

]
