"""Claims URLs (namespace `claims`), mounted under /claims/ in the workbench's layout."""
from django.urls import path

from lifecrm.claims import views

app_name = "claims"

urlpatterns = [
    path("", views.claim_list, name="claims"),
    path("attainment/", views.attainment, name="attainment"),
    path("<int:claim_id>/", views.claim_detail, name="claim"),
    path("<int:claim_id>/<slug:claim_step>/", views.claim_action, name="claim-action"),
    path("customers/<int:customer_id>/new/", views.claim_report, name="claim-report"),
]
