"""Value URLs (namespace `value`), mounted under /value/ in the workbench's layout."""
from django.urls import path

from lifecrm.value.views import dashboards, thresholds

app_name = "value"

urlpatterns = [
    path("", dashboards.dashboard, name="dashboard"),
    path("export/", dashboards.dashboard_export, name="dashboard-export"),
    path("thresholds/", thresholds.thresholds, name="thresholds"),
]
