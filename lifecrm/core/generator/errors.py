"""The one exception of the book generator."""


class GeneratorError(Exception):
    """A book cannot be generated as asked (bad arguments, missing reference data, a book already there)."""
