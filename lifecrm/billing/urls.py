"""Renewal collection URLs (namespace `billing`), mounted under /billing/ by the workbench."""
from django.urls import path

from lifecrm.billing.views import bankfiles, dashboard, payments, policies, worklist

app_name = "billing"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("worklist/", worklist.worklist, name="worklist"),
    path("worklist/tasks/<int:reminder_id>/outcome/", worklist.task_outcome, name="task-outcome"),
    path("worklist/tasks/<int:reminder_id>/reassign/", worklist.task_reassign, name="task-reassign"),
    path("payments/new/", payments.payment_new, name="payment-new"),
    path("payments/<int:payment_id>/", payments.receipt, name="receipt"),
    path("policies/<int:policy_id>/refund/", payments.refund_new, name="refund-new"),
    path("suspense/", payments.suspense, name="suspense"),
    # The bank-file pages are banking's (/banking/bank-files/, every app's files): the old addresses lead there.
    path("bank-files/", bankfiles.moved("banking:bank-files"), name="bank-files-moved"),
    path("bank-files/<int:bank_file_id>/", bankfiles.moved("banking:bank-file"), name="bank-file-moved"),
    path("bank-files/<int:bank_file_id>/not-collected/", bankfiles.bank_file_not_collected, name="bank-file-not-collected"),
    path("persistency/", dashboard.persistency, name="persistency"),
    path("persistency/export/", dashboard.persistency_export, name="persistency-export"),
    path("policies/<int:policy_id>/", policies.policy_billing, name="policy"),
]
