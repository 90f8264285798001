"""Service desk URLs (namespace `service`), mounted under /service/ in the workbench's layout.

Each area adds its block of paths below its own comment."""
from django.urls import path

from lifecrm.service.views import care, cases, complaints, emergency, interactions, sla, surveys

app_name = "service"

urlpatterns = [
    # interactions
    path("customers/<int:customer_id>/interactions/new/", interactions.interaction_new, name="interaction-new"),

    # cases
    path("cases/", cases.case_list, name="cases"),
    path("cases/categories/", cases.case_categories, name="case-categories"),
    path("cases/<int:case_id>/", cases.case_detail, name="case"),
    path("cases/<int:case_id>/attachments/", cases.case_attachment_upload, name="case-attachment-upload"),
    path("cases/<int:case_id>/attachments/<int:attachment_id>/", cases.case_attachment_download,
         name="case-attachment"),
    path("cases/<int:case_id>/<slug:action>/", cases.case_action, name="case-action"),
    path("customers/<int:customer_id>/cases/new/", cases.case_new, name="case-new"),

    # SLA
    path("sla/", sla.dashboard, name="sla-dashboard"),
    path("sla/report/", sla.report, name="sla-report"),

    # complaints
    path("complaints/", complaints.register, name="complaints"),
    path("complaints/export.xlsx", complaints.register_export, name="complaints-export"),
    path("complaints/statistics/", complaints.statistics, name="complaint-statistics"),
    path("complaints/<int:complaint_id>/", complaints.detail, name="complaint"),
    path("complaints/<int:complaint_id>/letter/<slug:letter_kind>.pdf", complaints.letter, name="complaint-letter"),
    path("complaints/<int:complaint_id>/<slug:complaint_action>/", complaints.act, name="complaint-act"),

    # care events
    path("care/", care.care_rules, name="care-rules"),

    # surveys
    path("surveys/", surveys.survey_report_page, name="survey-report"),

    # emergency
    path("emergency/", emergency.emergency, name="emergency"),
    path("emergency/<int:case_id>/", emergency.emergency_case, name="emergency-case"),

]
