"""问卷星 (wjx.cn) downloads: 按选项文本 and 按选项序号, as .xlsx or GBK .csv.

Questions are headed like “3、对东风村党支部的评价”; an unanswered question reads
“(跳过)” or “(空)” in the text download and -3 / -2 in the number download.
"""
from .ballot import BallotFormat

FORMAT = BallotFormat(
    name="问卷星",
    marks=("提交答卷时间", "所用时间", "来自IP"),
    meta=("提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分", "用户ID", "答卷编号", "昵称"),
    skipped=("(跳过)", "(空)", "跳过", "-3", "-2"),
)
