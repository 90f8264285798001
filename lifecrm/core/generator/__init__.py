"""The book generator: `lifecrm seed` builds a deterministic book of customers, policies and their histories.

Each app contributes steps through `lifecrm.core.registries.generator_steps` (registered from the app's
`generator` module, imported in its AppConfig.ready()), declared with `generator_step`:

    @generator_step("parties.customers", after=["org.units"], writes=["parties.Customer"], per_chunk=True)
    def generate_customers(ctx: GeneratorContext) -> None: ...

Steps build whole columns with numpy and hand them to `ctx.write`; the writer turns the columns into
rows and writes them with SQLite `executemany` or PostgreSQL `COPY`, in one transaction.

The package's modules:

| module | holds |
|---|---|
| `steps` | the step registry, the context a step sees (random streams, ids, queued rows), the chunk runner |
| `book` | `build_book`: checked arguments, the writer for the database, one transaction |
| `dates` | vectorised dates: day numbers, month arithmetic, ISO strings, time zones, working days |
| `sampling` | weighted choices, uniform integers, unique scattered numbers, zero-padded digits |
| `sensitive` | encrypted fields and keyed hashes in bulk |
| `names`, `places` | name pools per jurisdiction; cities, districts and their codes |
| `writers` | the bulk writer's checks and conversions; `sqlite_writer`, `postgres_writer` its backends |

Identity numbers are the parties app's (`parties.rules`, in bulk `parties.generator_ids`): core knows no ID rule.

The names below are what the apps' generator steps use: `from lifecrm.core.generator import …`.
"""
from lifecrm.core.generator.book import BookResult, build_book, validate_arguments, writer_for
from lifecrm.core.generator.dates import (
    NO_DATE,
    WorkingDays,
    add_months,
    age_on,
    aware,
    date_of,
    days_of,
    iso_dates,
    utc_offset_seconds,
    utc_seconds,
    whole_months_between,
    ymd,
)
from lifecrm.core.generator.errors import GeneratorError
from lifecrm.core.generator.names import name_pool, search_keys
from lifecrm.core.generator.places import cities
from lifecrm.core.generator.sampling import choice_rows, choice_weighted, digits_str, uniform_int, unique_tail
from lifecrm.core.generator.sensitive import encrypt_many, keyed_hashes
from lifecrm.core.generator.steps import (
    GeneratorContext,
    generated_models,
    generator_step,
    ordered_steps,
    register_derived,
    run_steps,
)
from lifecrm.core.generator.writers import BulkWriter

__all__ = [
    "NO_DATE", "BookResult", "BulkWriter", "GeneratorContext", "GeneratorError", "WorkingDays", "add_months", "age_on",
    "aware", "build_book", "choice_rows", "choice_weighted", "cities", "date_of", "days_of", "digits_str",
    "encrypt_many", "generated_models", "generator_step", "iso_dates", "keyed_hashes", "name_pool",
    "ordered_steps", "register_derived", "run_steps", "search_keys", "uniform_int", "unique_tail",
    "utc_offset_seconds", "utc_seconds", "validate_arguments", "whole_months_between", "writer_for",
    "ymd",
]
