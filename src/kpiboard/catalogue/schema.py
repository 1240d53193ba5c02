"""The catalogue: what a project's YAML may say. Pydantic models that forbid unknown keys.

Cross-checks that need more than one object (a parent that does not exist, a target kind that
does not fit the measure kind, ...) live in ``rules.py`` and return findings with file:line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from kpiboard.catalogue.commentary import Commentary
from kpiboard.catalogue.dashboard import Dashboard
from kpiboard.catalogue.delivery import Announcements
from kpiboard.catalogue.entry import Entry
from kpiboard.catalogue.formula import Formula, parse_formula
from kpiboard.errors import KpiboardError
from kpiboard.periods import parse_fy, parse_month
from kpiboard.vocabulary import (
    ComparatorKind,
    Direction,
    FactKind,
    MeasureKind,
    Op,
    Polarity,
    StatusFrom,
    TargetKind,
    WindowKind,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InvalidValue(ValueError):
    """A period parser's KpiboardError as the ValueError pydantic expects. Pydantic turns only
    ValueError/AssertionError into validation errors: anything else escapes validation and
    loses the file and line. ``hint`` survives for the finding."""

    def __init__(self, exc: KpiboardError) -> None:
        super().__init__(exc.message)
        self.hint = exc.hint


class AtKey(ValueError):
    """A check on a whole model that is about one of its keys: the finding is at that key."""

    def __init__(self, message: str, at: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.at, self.hint = (at,), hint


def _checked_month(text: str) -> int:
    try:
        return parse_month(text)
    except KpiboardError as exc:
        raise InvalidValue(exc) from None


def _checked_fy(label: str) -> int:
    try:
        return parse_fy(label)
    except KpiboardError as exc:
        raise InvalidValue(exc) from None


class Tolerance(Strict):
    """How far short of target is still amber. Exactly one of the three."""

    percent: float | None = Field(None, gt=0, description="relative to the target level, in %")
    points: float | None = Field(None, gt=0, description="absolute, in the measure's unit")
    margin_of_error: bool | None = Field(
        None, description="amber while the shortfall is within the 95% margin of error"
    )

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        given = [k for k in ("percent", "points", "margin_of_error") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of percent, points or margin_of_error: true")
        return self


class StatusRule(Strict):
    amber_within: Tolerance


class BaselineReduction(Strict):
    """A target set as a reduction on the annual average of a baseline span (e.g. 1994-98)."""

    start: str = Field(description="first month of the baseline, YYYY-MM")
    end: str = Field(description="last month of the baseline, YYYY-MM")
    percent: float = Field(gt=0, lt=100, description="the reduction on the baseline average, in %")

    @field_validator("start", "end")
    @classmethod
    def _month(cls, v: str) -> str:
        _checked_month(v)
        return v

    @model_validator(mode="after")
    def _order(self) -> BaselineReduction:
        if _checked_month(self.end) < _checked_month(self.start):
            raise ValueError("the baseline ends before it starts")
        return self


class Target(Strict):
    """A target for one or more financial years. Exactly one of level / change /
    baseline_reduction. ``op`` defaults to >= (higher is better) or <= (lower is better);
    ``>``/``<`` make it strict ("> 2,516")."""

    year: str | None = None
    years: list[str] | None = None
    level: float | None = None
    change: float | None = Field(None, description="% change against the comparator, e.g. -4.3")
    baseline_reduction: BaselineReduction | None = None
    op: Op | None = None
    text: str | None = Field(None, description="how the target is written in the report")

    @field_validator("year")
    @classmethod
    def _fy(cls, v: str | None) -> str | None:
        if v is not None:
            _checked_fy(v)
        return v

    @field_validator("years")
    @classmethod
    def _fys(cls, v: list[str] | None) -> list[str] | None:
        for y in v or []:
            _checked_fy(y)
        return v

    @model_validator(mode="after")
    def _shape(self) -> Target:
        kinds = [k for k in TargetKind if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of level, change or baseline_reduction")
        if (self.year is None) == (self.years is None):
            raise ValueError("give the financial year as year: 2009/10 (or years: [...])")
        return self

    @property
    def kind(self) -> TargetKind:
        if self.level is not None:
            return TargetKind.LEVEL
        if self.change is not None:
            return TargetKind.CHANGE
        return TargetKind.BASELINE_REDUCTION

    def financial_years(self) -> list[str]:
        return [self.year] if self.year else list(self.years or [])


class Milestone(Strict):
    """A later milestone, shown but not assessed (e.g. 55.4% by Mar 2011)."""

    by: str
    level: float

    @field_validator("by")
    @classmethod
    def _month(cls, v: str) -> str:
        _checked_month(v)
        return v


class Ranks(Strict):
    """How the measure ranks against peers. By default the measure's own window and value."""

    groups: list[str] | None = Field(None, description="peer group ids; default all groups")
    window: WindowKind | None = None
    measure: str | None = Field(
        None, description="rank on another measure (e.g. a national survey)"
    )
    per_population: float | None = Field(
        None, gt=0, description="rank counts as rates per this many residents (e.g. 1000)"
    )


class SpcOptions(Strict):
    """Statistical process control (XmR) options for a measure's monthly series."""

    direction: Direction | None = Field(
        None, description="which way is improvement; default from the polarity"
    )
    rebase: list[str] = Field(
        default_factory=list, description="months (YYYY-MM) that start new limits"
    )
    baseline: int | None = Field(None, ge=12, description="fix the limits after this many points")
    screen_outliers: bool = Field(True, description="drop moving ranges over 3.267 x their mean")
    months: int = Field(
        36, ge=2, le=48, description="how many months of the series to chart and judge"
    )

    @field_validator("rebase")
    @classmethod
    def _months(cls, v: list[str]) -> list[str]:
        for month in v:
            _checked_month(month)
        return v


SourceType = Literal["police_uk_street", "home_office_prc", "population"]
#: record columns a measure may filter on (see docs/RECORDS.md)
FILTER_COLUMNS = (
    "crime_type",
    "outcome",
    "lsoa_code",
    "offence_code",
    "offence_group",
    "offence_subgroup",
)


class Source(Strict):
    """A record source: published files read as records (one row per crime or count)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    type: SourceType
    files: list[str] = Field(
        min_length=1,
        description="globs relative to the project; .zip archives too; an error only when none "
        "matches a file",
    )
    set_aside: list[str] = Field(
        default_factory=list, description="organisation names whose rows are skipped and counted"
    )


class Records(Strict):
    """A measure counted from a record source: records whose columns take any of the values
    given, summed by organisation and period in the warehouse."""

    source: str
    where: dict[str, list[str]] = Field(default_factory=dict)


# what a derived measure (``formula:``) may be: its figures are a numerator and, for the last
# two, a denominator (docs/CATALOGUE.md, "Derived measures")
DERIVED_KINDS = (
    MeasureKind.COUNT,
    MeasureKind.PER_POPULATION,
    MeasureKind.SNAPSHOT,
    MeasureKind.PROPORTION,
    MeasureKind.MEAN,
)


# what may be entered on the dashboard: a figure (and its denominator or sample) of its own
ENTERED_KINDS = (*DERIVED_KINDS,)


class Measure(Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    row: str | None = Field(None, description="the row label in the report, e.g. 2a")
    section: str | None = None
    title: str
    reference: str | None = Field(None, description='official reference, e.g. "APACS PI 1.1"')
    description: str | None = None
    owner: str | None = Field(
        None, description="who answers for the KPI, e.g. a chief officer or team"
    )
    unit: str = Field("", description='"%", "pts", "£m", "" for plain numbers, or any suffix')
    decimals: int = Field(0, ge=0, le=6)
    polarity: Polarity = Polarity.HIGHER_IS_BETTER
    kind: MeasureKind
    window: WindowKind = WindowKind.ROLLING_12
    comparator: ComparatorKind = ComparatorKind.SAME_WINDOW_LAST_YEAR
    parent: str | None = Field(None, description="the measure this one is a part or breakdown of")
    of: list[str] | None = Field(None, description="the two proportions of a difference or ratio")
    per: float | None = Field(None, gt=0, description="per_population scale, e.g. 1000")
    population: str | None = Field(None, description="population measure; default the project's")
    survey: bool = Field(
        False,
        description="a sample survey: margins of error apply (n = sample_size, else denominator)",
    )
    deft: float | None = Field(None, gt=0, description="survey design factor for margins of error")
    targets: list[Target] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    status_rule: StatusRule | None = None
    tracking: bool = Field(False, description="a tracking measure: shown, never given a status")
    in_development: bool = Field(False, description="defined but not yet measured")
    latency: int | None = Field(
        None,
        ge=0,
        le=120,
        description="months a latest figure may lag the report month before it is marked stale; "
        "default twice the spacing of the measure's last two figures (or of the window of a "
        "single figure), at least 2",
    )
    hidden: bool = Field(False, description="an input to other measures, not a row of its own")
    figure_label: str | None = Field(
        None, description='words after the figure, e.g. "forecast for yr"'
    )
    ranks: Ranks | None = None
    records: Records | None = Field(None, description="count this measure from a record source")
    entry: Entry | None = Field(
        None, description="figures entered and approved on the dashboard (docs/ENTRY.md)"
    )
    commentary: Commentary | None = Field(None, description="owners and due date of its commentary")
    formula: str | None = Field(
        None,
        description="a derived measure: arithmetic over other measures' figures, "
        'e.g. "(burglary + robbery) / crimes" (docs/CATALOGUE.md, "Derived measures")',
    )
    facts: list[FactKind] = Field(default_factory=list)
    profile: Literal["flat", "seasonal"] = Field(
        "flat", description="how an annual target spreads over its months"
    )
    profile_years: int = Field(
        3, ge=1, le=10, description="earlier years a seasonal profile averages"
    )
    spc: SpcOptions = Field(default_factory=lambda: SpcOptions())
    status_from: StatusFrom = Field(
        StatusFrom.RAG,
        description="what drives the headline status: the target (rag), SPC, or rag with SPC beside",
    )

    @property
    def derived(self) -> Formula | None:
        """The parsed formula of a derived measure (None for a measure with data of its own)."""
        return None if self.formula is None else parse_formula(self.formula)

    @field_validator("formula")
    @classmethod
    def _formula(cls, v: str | None) -> str | None:
        if v is not None:
            parse_formula(v)  # FormulaError (a ValueError) says what is wrong
        return v

    @model_validator(mode="after")
    def _derived_or_entered(self) -> Measure:
        if self.formula is not None:
            if self.kind not in DERIVED_KINDS:
                raise AtKey(
                    f"a {self.kind} measure cannot have a formula",
                    "formula",
                    "a derived measure is one of " + ", ".join(k.value for k in DERIVED_KINDS),
                )
            if self.records is not None:
                raise AtKey(
                    "a measure has a formula or records:, not both",
                    "formula",
                    "keep formula: to compute it from other measures, or records: to count it",
                )
        if self.entry is not None:
            if self.kind not in ENTERED_KINDS:
                raise AtKey(
                    f"the figures of a {self.kind} measure come from its parts",
                    "entry",
                    "entry: is for " + ", ".join(k.value for k in ENTERED_KINDS),
                )
            if self.records is not None or self.formula is not None:
                what = "records:" if self.records is not None else "a formula"
                raise AtKey(
                    f"a measure's figures are entered or come from {what}, not both",
                    "entry",
                    "keep one of them",
                )
        return self

    @model_validator(mode="after")
    def _shape(self) -> Measure:
        if self.kind in (MeasureKind.DIFFERENCE, MeasureKind.RATIO):
            if not self.of or len(self.of) != 2:
                raise ValueError(f"a {self.kind} measure needs of: [first, second]")
        elif self.of:
            raise ValueError(f"of: is only for difference and ratio measures, not {self.kind}")
        if self.per is not None and self.kind is not MeasureKind.PER_POPULATION:
            raise ValueError("per: is only for per_population measures")
        if self.deft is not None and not self.survey:
            raise ValueError("deft: is a survey design factor; set survey: true as well")
        if self.tracking and self.targets:
            raise ValueError("a tracking measure has no targets")
        return self


BuiltinTable = Literal["england-wales"]  # built-in organisation tables (catalogue/orgs.py)


class Organisation(Strict):
    """An organisation and every spelling a data file may use for it. With
    ``builtin_organisations``, an entry whose id is a built-in one extends it (``name`` then
    optional); any other entry adds an organisation and needs a name."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str | None = Field(None, description="display name; required unless extending a built-in")
    aliases: list[str] = Field(default_factory=list)


class PeerGroup(Strict):
    id: str
    name: str
    members: list[str] | Literal["all"] = Field(
        "all", description="organisation ids, names or aliases (resolved to ids on load), or all"
    )


class StatusKey(Strict):
    green: str = "on or better than target"
    amber: str = "short of target, within tolerance"
    red: str = "short of target, beyond tolerance"


MARKING_MAX = 60  # a page header, not a paragraph


class Project(Strict):
    title: str
    organisation: str = Field(description="the home organisation's id")
    financial_year_start: int = Field(4, ge=1, le=12)
    warehouse: str | None = Field(
        None, description="an Ibis URL or a Spark master; default duckdb in .kpiboard/"
    )
    spark_location: str | None = Field(
        None,
        description="a Spark warehouse's Parquet folder (relative: to the project folder); "
        "default .kpiboard/spark",
    )
    subtitle: str | None = None
    sections: list[str] = Field(default_factory=list)
    population: str | None = Field(None, description="the measure holding resident population")
    builtin_organisations: BuiltinTable | None = Field(
        None,
        description="start from a built-in table: england-wales = the 43 territorial police forces",
    )
    organisations: list[Organisation] = Field(
        default_factory=list,
        description="the project's organisations, or extensions of built-in ones",
    )
    peer_groups: list[PeerGroup] = Field(default_factory=list)
    status_rule: StatusRule = StatusRule(amber_within=Tolerance(percent=10))
    status_key: StatusKey = StatusKey()
    data: list[str] = Field(
        default_factory=lambda: ["data/*.csv"], description="observation files (globs)"
    )
    sources: list[Source] = Field(default_factory=list, description="record sources (open data)")
    ignore: list[str] = Field(
        default_factory=list,
        description="files under data/ that are not data (globs): no warning that nothing reads them",
    )
    protective_marking: str | None = Field(
        None,
        description="the marking printed on every page of the PDF pack (OFFICIAL, "
        "OFFICIAL-SENSITIVE...); none by default",
    )
    dashboard: Dashboard = Dashboard()
    announcements: Announcements = Field(
        Announcements(), description="webhooks and e-mail after each load (docs/WEB.md)"
    )

    @field_validator("protective_marking")
    @classmethod
    def _one_short_line(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text or len(text) > MARKING_MAX or not text.isprintable():
            raise ValueError(
                f"a protective marking is one line of at most {MARKING_MAX} printable "
                "characters, such as OFFICIAL or OFFICIAL-SENSITIVE"
            )
        return text

    @model_validator(mode="after")
    def _some_organisations(self) -> Project:
        if not self.organisations and self.builtin_organisations is None:
            raise ValueError("give organisations (a list), or builtin_organisations: england-wales")
        return self


class MeasureFile(Strict):
    measures: list[Measure]
