"""Workbook bytes to cells with addresses; cell values parsed; legacy Vietnamese encodings converted."""
