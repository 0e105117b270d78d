"""Reports over parsed logs: one self-contained HTML page, Markdown for tickets, JSON for machines.

:func:`write_report` is the entry point (also ``multus-forensics report``). The content is built
once (:func:`build_report_data`) and rendered by format, so the three outputs cannot disagree.
"""

from multus_forensics.report.data import Plot, PodSection, ReportData, build_report_data
from multus_forensics.report.writer import render, write_report

__all__ = ["Plot", "PodSection", "ReportData", "build_report_data", "render", "write_report"]
