"""腾讯问卷 (wj.qq.com) downloads: UTF-8 CSV with a BOM, or .xlsx.

Answers carry the option letter (“A.好”); a matrix question repeats its title over
its columns with the organization in a second header row (see ballot.header_texts).
"""
from .ballot import BallotFormat

FORMAT = BallotFormat(
    name="腾讯问卷",
    marks=("开始答题时间", "结束答题时间", "答题时长"),
    meta=("用户ID", "用户昵称", "昵称", "自定义字段", "开始答题时间", "结束答题时间", "答题时长", "地理位置", "IP", "来源", "答卷ID", "回答ID"),
    skipped=("(跳过)", "(空)", "(未填写)"),
)
