"""Names on public surfaces are masked: 张三 → 张*, 欧阳娜娜 → 欧阳**; never the whole name."""

from __future__ import annotations

# The common two-character surnames; anything else keeps only its first character.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "端木",
        "独孤",
        "南宫",
        "西门",
    ]
)


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"  # keeping the one character would show the whole name
    if not any("\u4e00" <= ch <= "\u9fff" for ch in name):
        # Latin names: keep the first letter of the first word.
        return name[0] + "*" * max(1, min(len(name) - 1, 3))
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * max(1, len(name) - keep)
