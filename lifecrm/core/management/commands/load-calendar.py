"""`lifecrm load-calendar FILE`: load one published (or foreseen) year of a jurisdiction's working calendar from a
calendar file (format: `core.calendar_files`, docs/operations.md), without a code change; a bad file changes nothing."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lifecrm.core.actors import system
from lifecrm.core.calendar_files import CalendarFileError, parse_calendar_file
from lifecrm.core.services import calendar_year_load


class Command(BaseCommand):
    help = "Load one year of a jurisdiction's working calendar (holidays, make-up working days) from a JSON file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the calendar file (JSON, UTF-8)")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text") from None
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            result = calendar_year_load(actor=system("load-calendar"), data=parse_calendar_file(text))
        except CalendarFileError as error:
            raise CommandError(f"{file}: {error}; nothing was loaded") from None
        line = (f"{result.jurisdiction} {result.year} loaded as {result.status}: {result.holidays} holidays on "
                f"working days, {result.working_days} make-up working days")
        if result.overrides_kept:
            line += f"; manual overrides kept on {', '.join(str(day) for day in result.overrides_kept)}"
        self.stdout.write(line)
