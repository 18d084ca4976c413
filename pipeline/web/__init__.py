"""The officer's desk in the browser (`baocao web`): the board, uploads into the inbox, decisions, outputs.

A thin shell over pipeline.cycle, like the command line: the long steps run in one background
thread of the server, and pages render from the last check held in memory.
"""
