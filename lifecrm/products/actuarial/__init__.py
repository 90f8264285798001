"""The actuarial derivation of the product tables: basis, commutation functions, premiums, reserves, cash values.

Pure numpy, no Django: `python -m lifecrm.products.actuarial.derive` writes the CSV files of
`lifecrm/products/data/`, which `lifecrm.products.reference_data` loads into the database.
docs/actuarial.md states the basis and the formulas.
"""
