"""Direct debits, billing's use of the bank files (`lifecrm.banking`): pain.008 collections out; pain.002, camt.054 and CSV results in.

- `export.debit_export(as_of=...)`: one pain.008.001.08 file per business date and currency.
- `imports.bank_file_import(content=..., filename=..., as_of=..., actor=...)` (head office, or a program): a result file, whole or not at all.
- `rejections.on_debit_rejected(collection, as_of)` and its hook list `rejections.REJECTION_HANDLERS`.
- `rules`: the named constants (lead days, attempts, retryable reason codes) and the pure decisions.
"""
