"""A small reader of gettext .po files: enough to check our catalogues without another dependency."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translated(self) -> bool:
        if self.msgid_plural:
            return bool(self.msgstr_plural) and all(self.msgstr_plural.values())
        return bool(self.msgstr)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


def _unquote(token: str) -> str:
    return ast.literal_eval(token)  # a C-style string literal is a Python string literal here


def parse(text: str) -> list[Entry]:
    """Every entry, the header (msgid "") first; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            if target is not None and not current.msgid and entries:
                raise ValueError(f"line {current.line}: an entry without msgid (only the header may have one)")
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if current is not None and target is not None:
                finish()
            current = current or Entry(line=number)
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()
            current = current or Entry(line=number)
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            if keyword in ("msgctxt", "msgid") and current is not None and target is not None \
                    and target[0].startswith("msgstr"):
                finish()
            current = current or Entry(line=number)
            base = keyword.split("[")[0]
            target = (base, int(index) if index is not None else None)
            _append(current, target, _unquote(token))
        elif line.startswith('"') and current is not None and target is not None:
            _append(current, target, _unquote(line))
        else:
            raise ValueError(f"line {number}: cannot read {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int | None], value: str) -> None:
    name, index = target
    if name == "msgstr" and index is not None:
        entry.msgstr_plural[index] = entry.msgstr_plural.get(index, "") + value
    elif name == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + value
    else:
        setattr(entry, name, getattr(entry, name) + value)


def read(path: Path) -> list[Entry]:
    return parse(path.read_text(encoding="utf-8"))
