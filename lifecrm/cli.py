"""The `lifecrm` console script: Django's manage.py for this project."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lifecrm.config.settings")
    from django.core.management import execute_from_command_line

    from lifecrm.core.request_id import bound, new_request_id

    with bound(new_request_id()):  # a command's logs, and the Celery tasks it queues, share one id
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
