"""Workbench URLs (namespace `workbench`)."""
from django.urls import path

from lifecrm.workbench.views import auth, customers, home, policies, search

app_name = "workbench"

urlpatterns = [
    path("", home.home, name="home"),
    path("work/", home.work_list, name="work"),
    path("receipts/today/", home.day_receipts, name="day-receipts"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("login/verify/", auth.otp_verify, name="otp-verify"),
    path("login/enrol/", auth.otp_enrol, name="otp-enrol"),
    path("logins/locked/", auth.locked_logins_page, name="locked-logins"),
    path("search/", search.search, name="search"),
    path("customers/<int:customer_id>/", customers.customer, name="customer"),
    path("customers/<int:customer_id>/reveal-id/", customers.reveal_id, name="reveal-id"),
    path("customers/<int:customer_id>/personal-data/", customers.personal_data_export, name="personal-data-export"),
    path("customers/<int:customer_id>/relationships/", customers.relationships, name="customer-relationships"),
    path("customers/<int:customer_id>/policies/", customers.policies, name="customer-policies"),
    path("customers/<int:customer_id>/timeline/", customers.timeline, name="customer-timeline"),
    path("policies/<int:policy_id>/", policies.policy, name="policy"),
    path("policies/<int:policy_id>/events/", policies.events, name="policy-events"),
    path("policies/<int:policy_id>/delivery/", policies.delivery, name="policy-delivery"),
]
