"""Build templates/StarRating.xlsm from its sources; never edit the .xlsm by hand.

Sources: the presets (starbook/presets/*.toml), the layouts and styles
(starbook/build/), the VBA modules (templates/src/vba/) and the ribbon
(templates/src/customUI.xml). The build is deterministic: the same sources give
the same bytes, which tests/test_template.py checks part by part.

    python scripts/build_template.py            # rebuild the template
    python scripts/build_template.py --check    # exit 1 if it is out of date
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starbook.build.package import add_custom_ui  # noqa: E402
from starbook.build.workbook import BookSpec, build_workbook  # noqa: E402
from starbook.presets import preset, preset_title  # noqa: E402
from starbook.vba import build_vba_project, load_module_dir  # noqa: E402

TEMPLATE = ROOT / "templates" / "StarRating.xlsm"
SOURCES = ROOT / "templates" / "src"
DEFAULT_SCHEME = "fenlei"


def template_bytes() -> bytes:
    vba = build_vba_project(load_module_dir(SOURCES / "vba"))
    scheme = preset(DEFAULT_SCHEME)
    buf = io.BytesIO()
    build_workbook(buf, BookSpec(scheme, preset_title(DEFAULT_SCHEME), forms=1, year=None, vba=vba))
    return add_custom_ui(buf.getvalue(), (SOURCES / "customUI.xml").read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed template")
    args = parser.parse_args()
    data = template_bytes()
    if args.check:
        same = TEMPLATE.exists() and TEMPLATE.read_bytes() == data
        print("templates/StarRating.xlsm is up to date" if same else "templates/StarRating.xlsm is out of date: run scripts/build_template.py")
        return 0 if same else 1
    TEMPLATE.write_bytes(data)
    print(f"wrote {TEMPLATE} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
