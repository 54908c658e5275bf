"""A plain table typed by hand: one column per organization (its name as the header), one row per ballot."""
from .ballot import BallotFormat

FORMAT = BallotFormat(name="逐票登记表", marks=(), meta=("备注",))
