"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path

from lifecrm.service.views import surveys

app_name = "service"

urlpatterns = [
    # interactions

    # cases

    # SLA

    # complaints

    # care events

    # surveys
    path("surveys/", surveys.survey_report_page, name="survey-report"),

]
