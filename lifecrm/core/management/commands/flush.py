"""`lifecrm flush`: Django's, which empties every table, refused outside dev and test (issue 14 §1)."""
from django.core.management.commands import flush

from lifecrm.core.commands import refuse_outside_dev_or_test


class Command(flush.Command):
    def handle(self, **options):
        refuse_outside_dev_or_test("flush", "deletes every row of every table")
        return super().handle(**options)
