"""A window onto a long list: which rows one page shows, from a requested page number and the list's true total."""
from __future__ import annotations

from dataclasses import dataclass

MAX_PAGE_DIGITS = 9  # a page number longer than this is no page of any list lifecrm keeps


@dataclass(frozen=True)
class Window:
    """Page `number` (1-based) of `size` rows out of `total`."""

    number: int
    size: int
    total: int

    @classmethod
    def of(cls, requested: str | int | None, *, size: int, total: int) -> Window:
        """The page asked for, read leniently as links are: no number or a bad one is the first page, a number
        past the end is the last page (the list may have shrunk since the link was made)."""
        if size < 1:
            raise ValueError(f"a page holds at least one row, not {size}")
        if total < 0:
            raise ValueError(f"a list cannot have {total} rows")
        number = page_number(requested)
        return cls(number=min(number, cls.last_page(size=size, total=total)), size=size, total=total)

    @staticmethod
    def last_page(*, size: int, total: int) -> int:
        return max(1, -(-total // size))

    @property
    def pages(self) -> int:
        return self.last_page(size=self.size, total=self.total)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def end(self) -> int:
        """One past the last row shown (the slice `[offset:end]`)."""
        return min(self.offset + self.size, self.total)

    @property
    def first_shown(self) -> int:
        """1-based position of the first row shown; 0 for an empty list."""
        return self.offset + 1 if self.total else 0

    @property
    def last_shown(self) -> int:
        return self.end

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_number(self) -> int:
        return max(1, self.number - 1)

    @property
    def next_number(self) -> int:
        return min(self.pages, self.number + 1)

    @property
    def is_partial(self) -> bool:
        """The page shows fewer rows than the list holds."""
        return self.total > self.size


def page_number(requested: str | int | None) -> int:
    """A page number from a link: ASCII digits only ("²".isdigit() is true, int("²") fails), at least 1."""
    if isinstance(requested, bool):
        return 1
    if isinstance(requested, int):
        return max(1, requested)
    text = requested.strip() if isinstance(requested, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= MAX_PAGE_DIGITS:
        return max(1, int(text))
    return 1
