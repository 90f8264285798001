"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path

from lifecrm.service.views import interactions

app_name = "service"

urlpatterns = [
    # interactions
    path("customers/<int:customer_id>/interactions/new/", interactions.interaction_new, name="interaction-new"),

    # cases

    # SLA

    # complaints

    # care events

    # surveys

]
