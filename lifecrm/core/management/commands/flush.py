"""`lifecrm flush`: Django's, which empties every table, refused outside dev and test (issue 14 §1), and run
inside the audit trail's maintenance path (lifecrm.core.appendonly), whose database trigger refuses deleting
audit rows otherwise. Test teardowns of transactional tests run it."""
from django.core.management.commands import flush

from lifecrm.core.appendonly import audit_maintenance
from lifecrm.core.commands import refuse_outside_dev_or_test


class Command(flush.Command):
    def handle(self, **options):
        refuse_outside_dev_or_test("flush", "deletes every row of every table")
        with audit_maintenance(options["database"]):
            return super().handle(**options)
