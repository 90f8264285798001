"""Servicing pages (namespace `servicing`), in the workbench's layout."""
from django.urls import path

from lifecrm.servicing import views

app_name = "servicing"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("approvals/", views.approvals, name="approvals"),
    path("attainment/", views.attainment, name="attainment"),
    path("new/<int:policy_id>/", views.request_new, name="new"),
    path("<int:request_id>/", views.request_page, name="request"),
    path("<int:request_id>/act/", views.request_act, name="act"),
]
