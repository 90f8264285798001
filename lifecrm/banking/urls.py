"""Bank-file URLs (namespace `banking`), mounted under /banking/: every app's files, in the workbench's layout."""
from django.urls import path

from lifecrm.banking.views import bankfiles

app_name = "banking"

urlpatterns = [
    path("bank-files/", bankfiles.bank_files, name="bank-files"),
    path("bank-files/<int:bank_file_id>/", bankfiles.bank_file, name="bank-file"),
]
