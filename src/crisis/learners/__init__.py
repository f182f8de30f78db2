"""The WHO: self-assessment, adaptive tests, competence profiles, gaps, learning paths, cohorts."""

from crisis.learners.cat import (
    CUT_SCORES,
    AdaptiveTest,
    CatConfig,
    CatState,
    TestResult,
    continuous_level,
    level_of,
)
from crisis.learners.cohorts import (
    MIN_GROUP,
    Coverage,
    Member,
    TrainingNeeds,
    anonymised_rows,
    new_join_code,
    recommend_modules,
    training_needs,
)
from crisis.learners.gaps import Gap, analyse_gaps, open_targets
from crisis.learners.items import Item, ItemBank, apply_calibration, load_bundled_items, load_items
from crisis.learners.paths import PathPlanner, exhaustive_optimum
from crisis.learners.profile import CompetenceProfile, Evidence, build_profile, evidence_from_test
from crisis.learners.schedule import LearningPath, PathStep, plan_path, plan_paths
from crisis.learners.selfassessment import SelfAssessment, load_ratings, statements
from crisis.learners.staff import read_staff

__all__ = [
    "CUT_SCORES",
    "MIN_GROUP",
    "AdaptiveTest",
    "CatConfig",
    "CatState",
    "CompetenceProfile",
    "Coverage",
    "Evidence",
    "Gap",
    "Item",
    "ItemBank",
    "LearningPath",
    "Member",
    "PathPlanner",
    "PathStep",
    "SelfAssessment",
    "TestResult",
    "TrainingNeeds",
    "analyse_gaps",
    "anonymised_rows",
    "apply_calibration",
    "build_profile",
    "continuous_level",
    "evidence_from_test",
    "exhaustive_optimum",
    "level_of",
    "load_bundled_items",
    "load_items",
    "load_ratings",
    "new_join_code",
    "open_targets",
    "plan_path",
    "plan_paths",
    "read_staff",
    "recommend_modules",
    "statements",
    "training_needs",
]
