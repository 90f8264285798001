"""Notifications: one outbox for every app. SMS outbox, e-mail, letters (print files printed to PDF), the
messages' template engine and content.

Each app owns what its messages say (its templates under templates/<app>/messages/, named with that prefix) and
when to send them; this app renders them in the customer's language, picks the channel the customer can be
reached on and hands them to the channel. Service messages only (premium reminders, demands, notices): they go
out without marketing consent and so must never carry marketing content. The letter layout is
templates/notifications/letters/letter.html.
"""
