"""The one way the server opens an uploaded spreadsheet: .xlsx/.xlsm, .xls or .csv.

``check_file`` refuses what is not a readable spreadsheet before anything is inflated or
parsed: the size, the kind by content (zip, OLE compound file, text) and its agreement with
the name, the zip guard (declared sizes and ratios), passwords, DOCTYPE/ENTITY in any XML
part and the span of a sheet by its cells' real references. ``open_workbook`` checks the file
the same way and then reads it: every sheet's rows streamed as plain cell values.

Memory: an .xlsx sheet is held by calamine as a rectangle of about 60 bytes a cell (hence
``Limits.max_cells``), rows reach Python one at a time; an .xls is read in a child process
with a bounded address space (``legacy``); a CSV is streamed as text.
"""

from crm_server.kit.workbook.checks import check_file, check_name
from crm_server.kit.workbook.errors import FileTooLarge, UnreadableFile
from crm_server.kit.workbook.limits import Limits
from crm_server.kit.workbook.reading import Workbook, open_workbook

__all__ = ["FileTooLarge", "Limits", "UnreadableFile", "Workbook", "check_file",
           "check_name", "open_workbook"]
