"""Response shapes of the statistics routes (docs/statistics.md)."""

from __future__ import annotations

from furusato.api.schema import FreeMap, Instant, Int, List, Obj, Str
from furusato.domain.ids import LG_CODE

COUNTS_BY_KEY = FreeMap(description="counts by key (only keys with a count are present)")
POPULATION = Obj("RelationshipPopulation", {"total": Int(ge=0), "basic": Int(ge=0), "premium": Int(ge=0)})
STATISTICS = Obj(
    "Statistics",
    {
        "lg_code": Str(pattern=LG_CODE),
        "as_of": Instant(),
        "relationship_population": POPULATION,
        "own_residence_excluded": Int(ge=0),
        "long_term_stayers": Int(ge=0),
        "by_age_band": Obj(
            "AgeBands",
            {label: Int(ge=0) for label in ("0-17", "18-29", "30-39", "40-49", "50-59", "60-69", "70+")},
        ),
        "by_residence_prefecture": COUNTS_BY_KEY,
        "participations_by_month": COUNTS_BY_KEY,
        "history": List(
            Obj("PopulationMonth", {"month": Str(pattern=r"[0-9]{4}-[0-9]{2}"), **POPULATION.fields}),
            max_items=1200,
        ),
    },
)
NATIONAL_STATISTICS = Obj(
    "NationalStatistics",
    {
        "as_of": Instant(),
        "people": Int(ge=0),
        "registrations": Int(ge=0),
        "by_plan": Obj("RegistrationsByPlan", {"basic": Int(ge=0), "premium": Int(ge=0)}),
        "governments_onboarded": Int(ge=0),
    },
)
