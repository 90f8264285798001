"""Channel adapters and content of customer service messages: SMS outbox, e-mail, PDF letters, templates.

Service messages only (premium reminders, demands, notices): they go out without marketing consent
and so must never carry marketing content. The templates live in templates/billing/messages/ and
templates/billing/letters/.
"""
