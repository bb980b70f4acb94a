"""Quick-pick topics per category on the describe screen: the matters people most often bring.

Tapping one adds it to the note the officer sees; it also feeds the FAQ search, so a person who
taps 住房公积金 sees the housing-fund answers first.
"""

from __future__ import annotations

TOPICS: dict[str, dict[str, list[str]]] = {
    "urgent": {
        "zh": ["人身安全", "突发伤病", "工资被拖欠", "重大纠纷", "家庭突发困难"],
        "en": ["Personal safety", "Sudden injury", "Unpaid wages", "Serious dispute", "Family emergency"],
    },
    "policy": {
        "zh": ["养老保险", "医疗保险", "住房公积金", "工资发放", "年休假", "职称评定"],
        "en": ["Pension", "Medical insurance", "Housing fund", "Salary payment", "Annual leave", "Titles"],
    },
    "opinion": {
        "zh": ["工作环境", "管理制度", "食堂班车", "服务态度", "其他意见"],
        "en": ["Workplace", "Management rules", "Canteen & shuttle", "Service attitude", "Other"],
    },
    "legal": {
        "zh": ["劳动合同", "劳动争议", "工伤认定", "经济补偿", "婚姻家庭"],
        "en": ["Labour contract", "Labour dispute", "Work injury", "Severance", "Family law"],
    },
    "care": {
        "zh": ["工作压力", "情绪困扰", "睡眠不好", "家庭关系", "心理测评"],
        "en": ["Work stress", "Feeling low", "Poor sleep", "Family relations", "Self-assessment"],
    },
    "health": {
        "zh": ["医疗报销", "体检安排", "职业健康", "大病救助", "就医协助"],
        "en": ["Medical claims", "Check-ups", "Occupational health", "Serious illness aid", "Hospital help"],
    },
    "logistics": {
        "zh": ["宿舍调换", "宿舍报修", "水电暖气", "食堂", "班车", "停车"],
        "en": ["Change room", "Dorm repair", "Water & heating", "Canteen", "Shuttle bus", "Parking"],
    },
    "proposal": {
        "zh": ["技术革新", "降本增效", "安全生产", "节能环保", "管理改进"],
        "en": ["Innovation", "Cost saving", "Production safety", "Energy saving", "Management"],
    },
}


def topics_for(category: str, language: str = "zh") -> list[str]:
    return TOPICS.get(category, {}).get(language, [])
