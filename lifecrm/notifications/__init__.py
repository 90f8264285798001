"""Notifications: one outbox for every app. The outbox of e-mails and SMS, letters (print files printed to PDF), the
messages' template engine and content.

Each app owns what its messages say (its templates under templates/<app>/messages/, named with that prefix) and
when to send them; this app renders them in the customer's language, picks the channel the customer can be
reached on and hands them to the channel. Service messages only (premium reminders, demands, notices): they go
out without marketing consent and so must never carry marketing content. The letter layout is
templates/notifications/letters/letter.html.

How an app sends an e-mail or SMS (the path for every new caller: surveys, care events, servicing, claims):
`contacts.route_for(customer, …)` picks channel and address, `content.render(…)` composes the text, then
`services.message_queue(app=…, key=…, channel=route.channel, address=route.address, language=…, subject=…,
body=message.body or message.sms, customer_id=customer.pk, jurisdiction=customer.jurisdiction_id, at=…)` inside
the app's own transaction. The key (unique: the app's name and its row's natural key) makes a retried write one
message; the dispatcher sends it (retries, quiet hours) and its status shows on the customer's timeline. A daily
chunk records its messages together with `services.messages_queue` (billing's reminder ladder: a fixed number of
queries per chunk); a message that no longer holds before it is sent is withdrawn (`services.messages_withdraw`).
"""
