"""党员群众测评: survey exports and paper tallies read into the forms' vote counts.

Pure parsing and counting: the shells (api, excel) read the files' bytes and the
workbook's grids, ``importer.plan_import`` turns them into counts, problems and
the cell edits both shells apply.

One module per export format (``wjx`` 问卷星, ``tencent`` 腾讯问卷, ``plain`` a
table with one column per organization, ``tally`` a paper count per
organization); ``source`` reads a file into rows, ``answers`` and ``orgs`` match
answers and column headers, ``record`` keeps the 测评导入记录 sheet.
"""
