"""Writers only: values in, files out (check workbook, feedback copies, drafts, summary workbook, Word report)."""
