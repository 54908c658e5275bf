"""The level above: gather branch or township workbooks, verify each, roll them up.

Collected files are only ever read from disk by the reader (never opened in
Excel), so no macro of a collected file runs. `run.collect` is the one path the
command line and the ribbon share.
"""
