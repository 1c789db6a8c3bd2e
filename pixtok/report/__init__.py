"""`pixtok report`: one self-contained HTML page that shows what the pixels cost and what survived.

    >>> from pixtok.report import ReportOptions, report_texts, write_report   # doctest: +SKIP
    >>> from pixtok.corpus.inputs import iter_records                          # doctest: +SKIP
    >>> write_report(report_texts(iter_records(["en.txt"]), ReportOptions()), "report.html")  # doctest: +SKIP

The report is made from compare records: `report_texts` measures texts (the records `pixtok
compare` would print) and keeps their renders for the pictures; `report_records` reads a records file
(`read_records_file`) and measures nothing again. See docs/report.md.
"""

from pixtok.report.build import Report, ReportOptions, report_records, report_texts
from pixtok.report.html import render_html, write_report
from pixtok.report.records import RecordsFile, is_records_file, load_record, read_records_file

__all__ = [
    "RecordsFile",
    "Report",
    "ReportOptions",
    "is_records_file",
    "load_record",
    "read_records_file",
    "render_html",
    "report_records",
    "report_texts",
    "write_report",
]
