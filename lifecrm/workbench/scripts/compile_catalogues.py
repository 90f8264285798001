"""Compile lifecrm/locale/*/LC_MESSAGES/django.po into .mo files with Python alone (no GNU gettext).

Usage: .venv/bin/python lifecrm/workbench/scripts/compile_catalogues.py [--check]
--check compiles in memory and exits 1 when a committed .mo differs from its .po.

Fuzzy and untranslated entries are left out, as msgfmt does. Unlike `msgfmt --check-format`
(Django's compilemessages), this does not refuse a msgid that xgettext marked python-format only
because it holds a literal "%" (a verbose name such as "loan limit (% of cash value)").
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from lifecrm.workbench.tests.pofile import Entry, read  # noqa: E402

LOCALE_DIR = ROOT / "lifecrm" / "locale"


def _key_and_value(entry: Entry) -> tuple[str, str]:
    key = entry.msgid
    if entry.msgid_plural:
        key += "\0" + entry.msgid_plural
        value = "\0".join(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    else:
        value = entry.msgstr
    if entry.msgctxt is not None:
        key = entry.msgctxt + "\x04" + key
    return key, value


def compile_po(po_path: Path) -> bytes:
    """The GNU .mo bytes for a .po file: header, then the translated, non-fuzzy entries, sorted."""
    messages: dict[str, str] = {}
    for entry in read(po_path):
        if entry.msgid and (entry.fuzzy or not entry.translated):
            continue
        key, value = _key_and_value(entry)
        if not entry.msgid:
            # Like msgfmt: the extraction time changes on every makemessages and means nothing at run time.
            value = "".join(line for line in value.splitlines(keepends=True)
                            if not line.startswith("POT-Creation-Date:"))
        messages[key] = value
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    count = len(keys)
    header_size = 7 * 4
    ids_table = header_size
    strs_table = ids_table + count * 8
    data_start = strs_table + count * 8
    offsets_ids, offsets_strs, blob = [], [], b""
    for raw in ids:
        offsets_ids.append((len(raw), data_start + len(blob)))
        blob += raw + b"\0"
    for raw in strs:
        offsets_strs.append((len(raw), data_start + len(blob)))
        blob += raw + b"\0"
    output = struct.pack("<7I", 0x950412DE, 0, count, ids_table, strs_table, 0, 0)
    for length, offset in offsets_ids:
        output += struct.pack("<2I", length, offset)
    for length, offset in offsets_strs:
        output += struct.pack("<2I", length, offset)
    return output + blob


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        compiled = compile_po(po_path)
        if check:
            if not mo_path.exists() or mo_path.read_bytes() != compiled:
                stale.append(mo_path)
        else:
            mo_path.write_bytes(compiled)
            print(f"compiled {po_path.relative_to(ROOT)}")
    for path in stale:
        print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
