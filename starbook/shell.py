"""What the two shells (files: api/cli; live Excel: excel) share around the one core path."""
from __future__ import annotations

import getpass
import os
import tempfile
import traceback
from pathlib import Path

from .sheets.forms import is_form

READ_SHEETS = ("参数", "汇总表", "定星记录", "整改名单", "整改台账", "后进党组织调查摸底表", "定星统计", "公示", "评分细则")


def wanted(name: str) -> bool:
    """The sheets a rating reads; the others (charts…) never slow it down."""
    return name in READ_SHEETS or is_form(name)


def os_user() -> str:
    """The login name for 定星记录; blank when there is none (e.g. a service account)."""
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USERNAME", "")


def crash_log() -> Path:
    """Keep the current exception's traceback for support; the cadre sees only a Chinese message."""
    log = Path(tempfile.gettempdir()) / "starbook-error.log"
    try:
        log.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        pass
    return log
