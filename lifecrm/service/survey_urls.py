"""The survey link's URL on its own (the root URLconf includes it at /): a batch composing survey links reverses
them here, not in the site's URLconf, whose first use imports every app's URLs, the API and its schema views (4 s
of the daily NPS step's process)."""
from django.urls import path

from lifecrm.service.views.surveys import survey_answer

# A customer's satisfaction survey (no login; the one-time token is the key: lifecrm.service.surveys).
urlpatterns = [path("survey/<str:token>/", survey_answer, name="survey")]
