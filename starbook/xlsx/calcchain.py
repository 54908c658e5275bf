"""The calculation chain, which must go when formulas become values."""
from __future__ import annotations

CALC_CHAIN_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"


def drop_calc_chain(files: dict[str, bytes], names: list[str]) -> None:
    """Excel rebuilds a missing calcChain; a stale one makes it report a damaged file."""
    if "xl/calcChain.xml" not in names:
        return
    from lxml import etree  # keeps prefixes and declarations as they were
    names.remove("xl/calcChain.xml")
    rels = etree.fromstring(files["xl/_rels/workbook.xml.rels"])
    for r in list(rels):
        if r.get("Type") == CALC_CHAIN_TYPE:
            rels.remove(r)
    files["xl/_rels/workbook.xml.rels"] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    types = etree.fromstring(files["[Content_Types].xml"])
    for o in list(types):
        if o.get("PartName") == "/xl/calcChain.xml":
            types.remove(o)
    files["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
