"""What the patcher cannot do safely, said in Chinese to the cadre."""
from __future__ import annotations

SAVE_AGAIN = "请在 Excel 中打开该文件另存一次后再试；仍不行请把文件发给技术支持"


class PatchError(Exception):
    """What the patcher cannot do safely, in Chinese for the cadre: the message names the
    sheet and cell where it can, `fix` says what to do, `detail` is for technical support."""

    def __init__(self, message: str, fix: str = SAVE_AGAIN, detail: str = "") -> None:
        super().__init__(message)
        self.message, self.fix, self.detail = message, fix, detail

    def __str__(self) -> str:
        return f"{self.message}（技术信息：{self.detail}）" if self.detail else self.message
