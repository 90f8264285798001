"""Root URLs: the probes /healthz and /readyz, the workbench at /, renewal collection pages under /billing/, every app's bank files under /banking/, the service desk under /service/, claims under /claims/, the value dashboards under /value/,
the REST API under /api/, Django admin under /admin/."""
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from lifecrm.core import health

# Django's defaults ("Django administration", "Django site admin") are the product's name on every admin page.
admin.site.site_header = _("lifecrm administration")
admin.site.site_title = _("lifecrm administration")

urlpatterns = [
    # Probes for the load balancer and the monitoring (no login; lifecrm.core.health).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # A customer's satisfaction survey (no login; the one-time token is the key: lifecrm.service.surveys).
    path("", include("lifecrm.service.survey_urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("lifecrm.api.urls")),
    path("billing/", include("lifecrm.billing.urls")),  # namespace `billing`, in the workbench's layout
    path("banking/", include("lifecrm.banking.urls")),  # namespace `banking`: every app's bank files
    path("service/", include("lifecrm.service.urls")),  # namespace `service`, in the workbench's layout
    path("servicing/", include("lifecrm.servicing.urls")),  # namespace `servicing`, in the workbench's layout
    path("claims/", include("lifecrm.claims.urls")),  # namespace `claims`, in the workbench's layout
    path("value/", include("lifecrm.value.urls")),  # namespace `value`, in the workbench's layout
    path("", include("lifecrm.workbench.urls")),
]

handler400 = "lifecrm.workbench.views.errors.bad_request"
handler403 = "lifecrm.workbench.views.errors.forbidden"
handler404 = "lifecrm.workbench.views.errors.not_found"
handler500 = "lifecrm.workbench.views.errors.server_error"
