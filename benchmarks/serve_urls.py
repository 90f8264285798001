"""URLs of the `serve` benchmark's server: the product's, plus the floor: a bare view that reads one customer
row by key for a logged-in user (session and user lookups, one primary-key read, a few bytes of text), served
by the same server, middleware and database as the customer 360. Not part of the product."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import path

from lifecrm.config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from lifecrm.config.urls import urlpatterns as product_urls
from lifecrm.parties.models import Customer


@login_required
def floor(request, customer_id: int):
    row = Customer.objects.filter(pk=customer_id).values_list("number", "name").first()
    if row is None:
        raise Http404
    return HttpResponse(f"{row[0]} {row[1]}", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/floor/<int:customer_id>/", floor, name="bench-floor"), *product_urls]
