"""Every CSV file the platform writes goes through `writer` (or `safe_row`): the one place
that neutralises spreadsheet formulas (CSV injection, OWASP).

A cell that starts with =, +, -, @, a tab or a carriage return is read by Excel or
LibreOffice as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`), even in a file the
platform wrote from data someone typed. Such a text cell gets a leading apostrophe, which
spreadsheets show as plain text. Numbers, dates and booleans are left alone: they are not
text a spreadsheet would evaluate.
"""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row) -> list:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """csv.writer's interface (writerow, writerows), every text cell neutralised."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self._writer.writerow(safe_row(row))


def writer(stream, *, delimiter: str = ";", **options) -> SafeWriter:
    """A CSV writer for files people open in a spreadsheet (`;` by default, as French
    Excel expects)."""
    return SafeWriter(stream, delimiter=delimiter, **options)


def content(header, rows, *, delimiter: str = ";") -> str:
    """A whole small CSV file as text, with a BOM so that Excel reads it as UTF-8."""
    buffer = io.StringIO()
    out = writer(buffer, delimiter=delimiter)
    out.writerow(header)
    out.writerows(rows)
    return "\ufeff" + buffer.getvalue()
