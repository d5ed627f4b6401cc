"""Request bodies. Unknown fields are refused (extra="forbid"), never silently stored."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileIn(Strict):
    name: StrictStr = Field(min_length=1, max_length=100)
    birth_date: date
    gender: Literal["male", "female", "other", "no_answer"]
    postal_code: StrictStr = Field(min_length=7, max_length=16)
    address: StrictStr = Field(min_length=1, max_length=200)


class RegistrationIn(Strict):
    plan: Literal["basic", "premium"]
    survey_answers: dict[str, Any] | None = None


class SettingsIn(Strict):
    min_activities: StrictInt = Field(ge=3, le=100)
    window: Literal["rolling_365d", "fiscal_year"]
    long_stay_days: StrictInt = Field(ge=1, le=366)
    auto_approval: StrictBool
    inactivity_months: StrictInt = Field(ge=1, le=120)
    count_municipal_activities: StrictBool


class PageIn(Strict):
    title: StrictStr = Field(min_length=1, max_length=200)
    body: StrictStr = Field(max_length=20_000)


class QuestionIn(Strict):
    id: StrictStr = Field(min_length=1, max_length=40)
    label: StrictStr = Field(min_length=1, max_length=200)
    type: Literal["single_choice", "multi_choice", "text", "number"]
    options: list[StrictStr] | None = Field(default=None, max_length=50)
    required: StrictBool


class SurveyIn(Strict):
    questions: list[QuestionIn] = Field(max_length=30)


class OnboardIn(Strict):
    lg_code: StrictStr = Field(pattern=r"^[0-9]{6}$")
    name: StrictStr = Field(min_length=1, max_length=100)
    kind: Literal["prefecture", "municipality"]
    prefecture_code: StrictStr = Field(pattern=r"^[0-9]{2}$")


class StaffIn(Strict):
    email: StrictStr = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    staff_role: Literal["admin", "coordinator", "viewer"]
