"""Psychological self-assessment (心理测评): questionnaire definitions and their scoring.

A scale is data (a YAML file in ``suqiu_assets/scales``), turned into the dataclasses below by
``load_scale``, which checks every field and names the one that is wrong ("items[8].flags[0].min_points:
…"), so a broken file fails at load time, never in front of an employee.

``score(scale, points)`` takes the points *as printed on the paper form* (before any reversal), so a
counselor can type a paper questionnaire in exactly as the employee ticked it. Reverse-scored items
are turned around here, in one place: ``reverse(x) = lowest + highest - x``.

Arithmetic is exact (``fractions.Fraction``): ``raw × 1.25`` must not become 52.49999 on one machine
and 52.5 on another, because band boundaries sit exactly on such numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import Invalid, NotFound

# Scales under someone's copyright: usable only once the site's licence is configured. The value
# is the environment variable (or setting) that must hold the licence reference.
LICENSED_SCALES: Mapping[str, str] = {"scl90": "SUQIU_SCL90_LICENSE"}

ROUNDING_RULES = ("integer_part", "half_up", "exact")
METHODS = ("sum", "sum_times_factor")
FLAG_LEVELS = ("crisis", "attention")

# Shown with every crisis result, whatever the scale. 12356 is the national psychological
# assistance hotline (全国统一心理援助热线, in service since 2025-01-01).
CRISIS_MESSAGE_ZH = (
    "谢谢您愿意如实作答。您最近可能承受了很多，您并不孤单。心理关爱老师马上会来陪您聊一聊，请在这里稍等。"
)
CRISIS_MESSAGE_EN = (
    "Thank you for answering honestly. You may be carrying a lot right now, and you are not alone. "
    "A counselor is coming to talk with you; please wait here."
)
CRISIS_NEXT_STEPS_ZH = (
    "请留在中心内，心理关爱老师会尽快来找您",
    "如需立即帮助，可拨打全国心理援助热线 12356",
    "如有紧急危险，请立即拨打 110 或 120",
)


class ScaleDefinitionError(ValueError):
    """A scale file is broken. ``path`` names the field, e.g. ``items[3].options[1].points``."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Text:
    zh: str
    en: str


@dataclass(frozen=True)
class Option:
    points: int  # as printed on the paper form
    label: Text


@dataclass(frozen=True)
class Flag:
    """An answer that needs a person, whatever the total (e.g. PHQ-9 item 9 → crisis)."""

    level: str  # "crisis" | "attention"
    min_points: int  # raised when the answer (as printed) is at least this
    label: Text


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as on the form
    text: Text
    options: tuple[Option, ...]
    reverse: bool = False
    scored: bool = True
    flags: tuple[Flag, ...] = ()

    @property
    def lowest(self) -> int:
        return min(o.points for o in self.options)

    @property
    def highest(self) -> int:
        return max(o.points for o in self.options)

    def option(self, points: int) -> Option | None:
        return next((o for o in self.options if o.points == points), None)

    def scored_points(self, points: int) -> int:
        """The value that counts towards the total: reverse items are turned around."""
        return reverse_points(self, points) if self.reverse else points


@dataclass(frozen=True)
class Factor:
    """A subscale whose mean item score is reported (SCL-90's 躯体化, 强迫症状 …)."""

    id: str
    name: Text
    items: tuple[int, ...]
    attention_at_mean: Fraction | None = None


@dataclass(frozen=True)
class Band:
    code: str
    min: int  # inclusive
    max: int  # inclusive
    label: Text
    message_zh: str = ""
    next_steps_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scoring:
    method: str = "sum"
    factor: Fraction = Fraction(1)
    rounding: str = "exact"
    bands_on: str = "raw"  # "raw" | "standard"
    factors: tuple[Factor, ...] = ()


@dataclass(frozen=True)
class Scale:
    id: str
    version: str
    short_name: str
    name: Text
    instructions: Text
    items: tuple[Item, ...]
    scoring: Scoring
    bands: tuple[Band, ...]
    source: str = ""
    translation: str = ""
    licence: Text = Text("", "")
    licence_setting: str | None = None  # env var / setting that must be set to use the scale

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)

    @property
    def raw_range(self) -> tuple[int, int]:
        return sum(i.lowest for i in self.scored_items), sum(i.highest for i in self.scored_items)

    @property
    def has_standard(self) -> bool:
        return self.scoring.method == "sum_times_factor"

    def standard_of(self, raw: int) -> int | None:
        if not self.has_standard:
            return None
        return apply_rounding(raw * self.scoring.factor, self.scoring.rounding)

    @property
    def banded_range(self) -> tuple[int, int]:
        lo, hi = self.raw_range
        if self.scoring.bands_on == "standard":
            return self.standard_of(lo) or 0, self.standard_of(hi) or 0
        return lo, hi

    def band_for(self, value: int) -> Band:
        for band in self.bands:
            if band.min <= value <= band.max:
                return band
        raise AssertionError(f"{self.id}: no band for {value}; load_scale checks the bands cover the range")


@dataclass(frozen=True)
class RaisedFlag:
    item: int
    level: str
    label: Text


@dataclass(frozen=True)
class Result:
    scale: str
    version: str
    raw: int
    standard: int | None
    band: Band
    flags: tuple[RaisedFlag, ...]
    answers: tuple[int | None, ...]  # every item, as printed on the form; None where not answered
    scored: tuple[int, ...]  # scored items only, after reversal
    factor_means: Mapping[str, float] = field(default_factory=dict)

    @property
    def crisis(self) -> bool:
        return any(f.level == "crisis" for f in self.flags)

    def summary(self) -> dict[str, Any]:
        """The paper-form answer: exactly what ``suqiu assess score`` prints."""
        return {
            "scale": self.scale,
            "raw": self.raw,
            "standard": self.standard,
            "band": self.band.code,
            "band_label": self.band.label.zh,
            "crisis": self.crisis,
        }


# --- arithmetic -----------------------------------------------------------------------------------


def reverse_points(item: Item, points: int) -> int:
    """Turn a reverse-scored answer around on the item's own range; applying it twice gives it back."""
    return item.lowest + item.highest - points


def apply_rounding(value: Fraction, rule: str) -> int:
    """``integer_part`` is 取整数部分 (scores are never negative, so it is the floor)."""
    if rule == "integer_part":
        return int(value)  # truncates toward zero
    if rule == "half_up":
        return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))
    if value.denominator != 1:
        raise ValueError(f"exact rounding of a non-integer value {value}")
    return int(value)


def _mean_2dp(values: Sequence[int]) -> float:
    mean = Fraction(sum(values), len(values))
    return float(Fraction(apply_rounding(mean * 100, "half_up"), 100))


# --- scoring --------------------------------------------------------------------------------------


def score(scale: Scale, points: Sequence[int | None]) -> Result:
    """Score answers given as on the paper form.

    ``points`` has one value per item, or one per *scored* item (the unscored ones, such as PHQ-9's
    difficulty question, may then be left out, or be None in a full list). Anything else is refused with a message saying
    which item is wrong and what it may be.
    """
    items = scale.items
    scored_items = scale.scored_items
    given = list(points)
    if len(given) == len(items):
        answers: list[int | None] = list(given)
    elif len(given) == len(scored_items):
        it = iter(given)
        answers = [next(it) if item.scored else None for item in items]
    else:
        counts = f"{len(scored_items)}" if len(items) == len(scored_items) else f"{len(scored_items)} 或 {len(items)}"
        counts_en = (
            f"{len(scored_items)}" if len(items) == len(scored_items) else f"{len(scored_items)} or {len(items)}"
        )
        raise Invalid(
            "wrong_answer_count",
            f"{scale.short_name} 需要 {counts} 个答案，收到 {len(given)} 个",
            f"{scale.short_name} needs {counts_en} answers, got {len(given)}",
            details={"expected": counts_en, "got": len(given)},
        )
    for item, answer in zip(items, answers, strict=True):
        if answer is None:
            if item.scored:
                raise Invalid(
                    "missing_answer",
                    f"第 {item.number} 题还没有作答",
                    f"Item {item.number} has no answer",
                    details={"item": item.number},
                )
            continue
        if isinstance(answer, bool) or not isinstance(answer, int) or item.option(answer) is None:
            allowed = "、".join(str(o.points) for o in item.options)
            raise Invalid(
                "invalid_answer",
                f"第 {item.number} 题的分值 {answer} 无效，可选：{allowed}",
                f"Item {item.number}: {answer} is not a valid answer (allowed: {allowed.replace('、', ', ')})",
                details={"item": item.number, "allowed": [o.points for o in item.options]},
            )
    scored = tuple(
        item.scored_points(a) for item, a in zip(items, answers, strict=True) if item.scored and a is not None
    )
    raw = sum(scored)
    standard = scale.standard_of(raw)
    banded = standard if scale.scoring.bands_on == "standard" and standard is not None else raw
    flags = tuple(
        RaisedFlag(item.number, flag.level, flag.label)
        for item, answer in zip(items, answers, strict=True)
        if answer is not None
        for flag in item.flags
        if answer >= flag.min_points
    )
    by_number = {item.number: item.scored_points(a) for item, a in zip(items, answers, strict=True) if a is not None}
    means = {f.id: _mean_2dp([by_number[n] for n in f.items]) for f in scale.scoring.factors}
    factor_flags = tuple(
        RaisedFlag(
            0,
            "attention",
            Text(
                f"{f.name.zh}因子均分 ≥ {float(f.attention_at_mean):g}",
                f"{f.name.en} mean ≥ {float(f.attention_at_mean):g}",
            ),
        )
        for f in scale.scoring.factors
        if f.attention_at_mean is not None
        and Fraction(sum(by_number[n] for n in f.items), len(f.items)) >= f.attention_at_mean
    )
    return Result(
        scale=scale.id,
        version=scale.version,
        raw=raw,
        standard=standard,
        band=scale.band_for(banded),
        flags=flags + factor_flags,
        answers=tuple(answers),
        scored=scored,
        factor_means=means,
    )


# --- loading and validation -----------------------------------------------------------------------


class _Reader:
    """Reads a mapping and reports problems with the full field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> ScaleDefinitionError:
        return ScaleDefinitionError(self.source, path, problem)

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a mapping, got {type(value).__name__}")
        return value

    def get(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, default: Any = None) -> Any:
        if key not in data or data[key] is None:
            if required:
                raise self.fail(_join(path, key), "is missing")
            return default
        return data[key]

    def string(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, default: str = "") -> str:
        value = self.get(data, key, path, required=required, default=default)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(_join(path, key), "must be a non-empty text")
        return value.strip()

    def integer(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, default: int = 0) -> int:
        value = self.get(data, key, path, required=required, default=default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(_join(path, key), f"must be an integer, got {value!r}")
        return value

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = self.get(data, key, path, required=False, default=default)
        if not isinstance(value, bool):
            raise self.fail(_join(path, key), f"must be true or false, got {value!r}")
        return value

    def sequence(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> list[Any]:
        value = self.get(data, key, path, required=required, default=[])
        if not isinstance(value, list) or (required and not value):
            raise self.fail(_join(path, key), "must be a non-empty list")
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> Text:
        value = self.get(data, key, path, required=required, default={})
        where = _join(path, key)
        if isinstance(value, str):  # a bare string is the Chinese text; English then must be given separately
            raise self.fail(where, "must give both zh and en")
        value = self.mapping(value, where)
        if not required and not value:
            return Text("", "")
        return Text(self.string(value, "zh", where), self.string(value, "en", where))

    def choice(self, data: Mapping[str, Any], key: str, path: str, choices: Sequence[str], default: str) -> str:
        value = self.string(data, key, path, required=False, default=default)
        if value not in choices:
            raise self.fail(_join(path, key), f"must be one of {', '.join(choices)}, got {value!r}")
        return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def load_scale(data: Any, *, source: str = "<scale>") -> Scale:
    """Build a ``Scale`` from a parsed YAML/JSON mapping, or raise ``ScaleDefinitionError``."""
    r = _Reader(source)
    top = r.mapping(data, "")
    scale_id = r.string(top, "id", "")
    if not scale_id.isascii() or not scale_id.replace("_", "").isalnum() or scale_id != scale_id.lower():
        raise r.fail("id", f"must be lower-case letters, digits or _ (got {scale_id!r})")
    default_options = _options(r, top.get("options"), "options") if top.get("options") is not None else None
    items: list[Item] = []
    for index, raw_item in enumerate(r.sequence(top, "items", "")):
        path = f"items[{index}]"
        item_data = r.mapping(raw_item, path)
        number = r.integer(item_data, "number", path)
        if number != index + 1:
            raise r.fail(f"{path}.number", f"must be {index + 1} (items are numbered 1, 2, 3 … in order)")
        if item_data.get("options") is not None:
            options = _options(r, item_data["options"], f"{path}.options")
        elif default_options is not None:
            options = default_options
        else:
            raise r.fail(f"{path}.options", "is missing (and the scale has no default options)")
        flags = []
        for f_index, raw_flag in enumerate(r.sequence(item_data, "flags", path, required=False)):
            f_path = f"{path}.flags[{f_index}]"
            flag_data = r.mapping(raw_flag, f_path)
            flag = Flag(
                level=r.choice(flag_data, "level", f_path, FLAG_LEVELS, "crisis"),
                min_points=r.integer(flag_data, "min_points", f_path),
                label=r.text(flag_data, "label", f_path),
            )
            if not any(o.points >= flag.min_points for o in options):
                raise r.fail(f"{f_path}.min_points", f"no option reaches {flag.min_points}: the flag could never rise")
            flags.append(flag)
        items.append(
            Item(
                number=number,
                text=r.text(item_data, "text", path),
                options=options,
                reverse=r.boolean(item_data, "reverse", path, False),
                scored=r.boolean(item_data, "scored", path, True),
                flags=tuple(flags),
            )
        )
    if not any(i.scored for i in items):
        raise r.fail("items", "at least one item must be scored")
    for item in items:
        if item.reverse and not item.scored:
            raise r.fail(f"items[{item.number - 1}].reverse", "an unscored item cannot be reverse-scored")
    scoring = _scoring(r, r.mapping(r.get(top, "scoring", ""), "scoring"), items)
    licence_data = r.mapping(r.get(top, "licence", ""), "licence")
    licence_setting = licence_data.get("required_setting") or LICENSED_SCALES.get(scale_id)
    scale = Scale(
        id=scale_id,
        version=r.string(top, "version", ""),
        short_name=r.string(top, "short_name", ""),
        name=r.text(top, "name", ""),
        instructions=r.text(top, "instructions", ""),
        items=tuple(items),
        scoring=scoring,
        bands=(),
        source=r.string(top, "source", ""),
        translation=r.string(top, "translation", "", required=False),
        licence=r.text(top, "licence", ""),
        licence_setting=str(licence_setting) if licence_setting else None,
    )
    bands = _bands(r, r.sequence(top, "bands", ""), scale.banded_range)
    return dataclasses.replace(scale, bands=bands)


def _options(r: _Reader, value: Any, path: str) -> tuple[Option, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise r.fail(path, "must be a list of at least two options")
    options = []
    for index, raw in enumerate(value):
        o_path = f"{path}[{index}]"
        data = r.mapping(raw, o_path)
        points = r.integer(data, "points", o_path)
        if points < 0:
            raise r.fail(f"{o_path}.points", "must not be negative")
        options.append(Option(points=points, label=r.text(data, "label", o_path)))
    seen = [o.points for o in options]
    if len(set(seen)) != len(seen):
        raise r.fail(path, f"two options have the same points ({seen})")
    return tuple(options)


def _scoring(r: _Reader, data: Mapping[str, Any], items: Sequence[Item]) -> Scoring:
    method = r.choice(data, "method", "scoring", METHODS, "sum")
    factor = Fraction(1)
    rounding = "exact"
    if method == "sum_times_factor":
        raw_factor = r.get(data, "factor", "scoring")
        try:
            # Given as a string ("1.25") so the file says exactly the number meant, not a float.
            factor = Fraction(str(raw_factor))
        except (ValueError, ZeroDivisionError) as exc:
            raise r.fail("scoring.factor", f'must be a number such as "1.25", got {raw_factor!r}') from exc
        if factor <= 0:
            raise r.fail("scoring.factor", "must be positive")
        rounding = r.choice(data, "rounding", "scoring", ROUNDING_RULES, "")
        if rounding == "exact" and factor.denominator != 1:
            raise r.fail("scoring.rounding", "exact needs a whole-number factor; say integer_part or half_up")
    elif "factor" in data:
        raise r.fail("scoring.factor", "only for method sum_times_factor")
    bands_on = r.choice(data, "bands_on", "scoring", ("raw", "standard"), "raw")
    if bands_on == "standard" and method != "sum_times_factor":
        raise r.fail("scoring.bands_on", "standard needs method sum_times_factor")
    scored_numbers = {i.number for i in items if i.scored}
    factors = []
    for index, raw in enumerate(r.sequence(data, "factors", "scoring", required=False)):
        path = f"scoring.factors[{index}]"
        f_data = r.mapping(raw, path)
        numbers = r.sequence(f_data, "items", path)
        for n_index, n in enumerate(numbers):
            if isinstance(n, bool) or not isinstance(n, int) or n not in scored_numbers:
                raise r.fail(f"{path}.items[{n_index}]", f"{n!r} is not the number of a scored item")
        threshold = f_data.get("attention_at_mean")
        try:
            attention = Fraction(str(threshold)) if threshold is not None else None
        except ValueError as exc:
            raise r.fail(f"{path}.attention_at_mean", f"must be a number, got {threshold!r}") from exc
        factors.append(
            Factor(
                id=r.string(f_data, "id", path),
                name=r.text(f_data, "name", path),
                items=tuple(numbers),
                attention_at_mean=attention,
            )
        )
    ids = [f.id for f in factors]
    if len(set(ids)) != len(ids):
        raise r.fail("scoring.factors", f"factor ids must be unique ({ids})")
    return Scoring(method=method, factor=factor, rounding=rounding, bands_on=bands_on, factors=tuple(factors))


def _bands(r: _Reader, raw_bands: list[Any], banded_range: tuple[int, int]) -> tuple[Band, ...]:
    bands = []
    for index, raw in enumerate(raw_bands):
        path = f"bands[{index}]"
        data = r.mapping(raw, path)
        steps = r.sequence(data, "next_steps_zh", path, required=False)
        if not all(isinstance(s, str) and s.strip() for s in steps):
            raise r.fail(f"{path}.next_steps_zh", "must be a list of texts")
        band = Band(
            code=r.string(data, "code", path),
            min=r.integer(data, "min", path),
            max=r.integer(data, "max", path),
            label=r.text(data, "label", path),
            message_zh=r.string(data, "message_zh", path, required=False),
            next_steps_zh=tuple(s.strip() for s in steps),
        )
        if band.min > band.max:
            raise r.fail(f"{path}.max", f"is below min ({band.max} < {band.min})")
        bands.append(band)
    # Bands must tile the possible scores exactly: no gap, no overlap, nothing outside.
    lo, hi = banded_range
    expected = lo
    for index, band in enumerate(bands):
        if band.min != expected:
            what = "overlaps the band before" if band.min < expected else "leaves a gap after the band before"
            raise r.fail(f"bands[{index}].min", f"is {band.min}, expected {expected}: it {what}")
        expected = band.max + 1
    if expected - 1 != hi:
        raise r.fail(f"bands[{len(bands) - 1}].max", f"is {expected - 1}, but the highest possible score is {hi}")
    codes = [b.code for b in bands]
    if len(set(codes)) != len(codes):
        raise r.fail("bands", f"band codes must be unique ({codes})")
    return tuple(bands)


# --- the catalogue of scales a site may use -------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """The scales this site may use. A licensed scale without its licence is simply not here."""

    scales: Mapping[str, Scale]
    # Licensed but the site has not put the definition file in place yet (setting name by id).
    licensed_missing: Mapping[str, str] = field(default_factory=dict)

    def list(self) -> list[Scale]:
        return [self.scales[k] for k in sorted(self.scales, key=_scale_order)]

    def get(self, scale_id: str) -> Scale:
        scale = self.scales.get(scale_id)
        if scale is not None:
            return scale
        setting = LICENSED_SCALES.get(scale_id)
        if scale_id in self.licensed_missing:
            raise NotFound(
                "scale_file_missing",
                f"{scale_id} 已配置授权，但未找到量表文件，请将 {scale_id}.yaml 放入 SUQIU_SCALES_DIR 目录",
                f"{scale_id} is licensed but its definition file is missing: put {scale_id}.yaml into SUQIU_SCALES_DIR",
                details={"scale": scale_id},
            )
        if setting is not None:
            raise NotFound(
                "scale_not_licensed",
                f"{scale_id} 为版权量表，需先配置本单位的使用授权（{setting}）",
                f"{scale_id} is copyrighted: configure the site licence ({setting}) first",
                details={"scale": scale_id, "setting": setting},
            )
        raise NotFound(
            "scale_not_found",
            f"没有这个量表：{scale_id}",
            f"No such scale: {scale_id}",
            details={"scale": scale_id, "available": sorted(self.scales)},
        )


_ORDER = ("phq9", "gad7", "pss10", "sds", "sas", "k10", "who5", "scl90")


def _scale_order(scale_id: str) -> tuple[int, str]:
    return (_ORDER.index(scale_id) if scale_id in _ORDER else len(_ORDER), scale_id)


def build_catalog(definitions: Iterable[tuple[str, Any]], settings: Mapping[str, str]) -> Catalog:
    """Validate every definition; keep the licensed ones only when ``settings`` holds their licence.

    ``definitions`` are ``(source name, parsed mapping)`` pairs; ``settings`` is usually the
    environment. A duplicate id is an error: two files must never disagree about one scale.
    """
    scales: dict[str, Scale] = {}
    for source, data in definitions:
        scale = load_scale(data, source=source)
        if scale.id in scales:
            raise ScaleDefinitionError(source, "id", f"{scale.id!r} is defined twice")
        scales[scale.id] = scale
    usable = {k: s for k, s in scales.items() if not s.licence_setting or settings.get(s.licence_setting, "").strip()}
    missing = {
        scale_id: setting
        for scale_id, setting in LICENSED_SCALES.items()
        if settings.get(setting, "").strip() and scale_id not in scales
    }
    return Catalog(usable, missing)
