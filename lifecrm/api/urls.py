"""/api/v1/… assembled from each app's api module, the OpenAPI schema at /api/schema/, JSON 404 elsewhere.

Swagger UI is served at /api/schema/swagger/ only when drf-spectacular-sidecar is installed and
configured (INSTALLED_APPS + SPECTACULAR_SETTINGS SWAGGER_UI_DIST="SIDECAR"): lifecrm never loads
assets from a CDN at run time, and Swagger UI's default is a CDN.
"""
from django.apps import apps
from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import APIRootView, DefaultRouter

from lifecrm.api.errors import not_found
from lifecrm.billing.api import DueItemViewSet, PaymentViewSet, SuspenseAccountViewSet
from lifecrm.claims.api import ClaimViewSet
from lifecrm.org.api import MeView, ScopedAPIMixin
from lifecrm.policies.api import CustomerViewSet, PolicyViewSet
from lifecrm.service.api import CaseViewSet, InteractionViewSet
from lifecrm.servicing.api import ServiceRequestViewSet
from lifecrm.value.api import CustomerValueView


class V1RootView(APIRootView):
    """The endpoints of API v1."""

    authentication_classes = ScopedAPIMixin.authentication_classes
    permission_classes = ScopedAPIMixin.permission_classes


class V1Router(DefaultRouter):
    """A DefaultRouter whose root also lists the non-viewset endpoints (`me`), without `.json` suffixes."""

    APIRootView = V1RootView
    include_format_suffixes = False
    extra_root_entries = {"me": "me"}

    def get_api_root_view(self, api_urls=None):
        root = {prefix: self.routes[0].name.format(basename=basename) for prefix, _, basename in self.registry}
        return self.APIRootView.as_view(api_root_dict=root | self.extra_root_entries)


router = V1Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("policies", PolicyViewSet, basename="policy")
router.register("due-items", DueItemViewSet, basename="due-item")
router.register("payments", PaymentViewSet, basename="payment")
router.register("suspense-accounts", SuspenseAccountViewSet, basename="suspense-account")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("cases", CaseViewSet, basename="case")
router.register("servicing-requests", ServiceRequestViewSet, basename="servicing-request")
router.register("claims", ClaimViewSet, basename="claim")

v1_urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("customers/<int:customer_id>/value/", CustomerValueView.as_view(), name="customer-value"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include((v1_urlpatterns, "v1"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

if apps.is_installed("drf_spectacular_sidecar") and settings.SPECTACULAR_SETTINGS.get("SWAGGER_UI_DIST") == "SIDECAR":
    urlpatterns.append(
        path("schema/swagger/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-swagger")
    )

# [\s\S]: any character, a newline too (an encoded %0A must not fall through to the workbench's HTML 404).
urlpatterns.append(re_path(r"^[\s\S]*$", not_found))
