"""Publication output: regression and descriptive tables, figures, the HTML report.

This layer reads results; it imports no estimator code.
"""

from vagg.report.html import Report, Section
from vagg.report.regression import regression_table, result_info, stars_for
from vagg.report.table import FORMATS, SIMULATED_NOTE, Table, frame_table, latex_document, latex_escape

__all__ = ["FORMATS", "Report", "SIMULATED_NOTE", "Section", "Table", "frame_table", "latex_document", "latex_escape", "regression_table", "result_info", "stars_for"]
