"""The audit behind ``crisis competences check``: loading rules plus curriculum-quality rules.

Errors: anything that stops the catalogue loading (syntax, fields, references, cycles), a
competence of the reference profile that no module outcome reaches at its target level, an
outcome no assessment method checks, a programme whose modules come before their
prerequisites or whose ECTS do not add up. Warnings: each missing translation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from crisis.competences.loader import build, bundled_path, read_folder
from crisis.competences.models import Catalogue
from crisis.competences.sources import MAX_BYTES
from crisis.competences.translations import missing_translations
from crisis.exceptions import ContentError


@dataclass
class Finding:
    """One result of the audit."""

    severity: str  # "error" or "warning"
    check: str
    message: str


@dataclass
class Report:
    """Everything the audit found; ``ok`` when there are no errors."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    catalogue: Catalogue | None = None

    @property
    def errors(self) -> list[Finding]:
        """The findings that make the check fail."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that do not make the check fail."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "source": self.source,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [vars(f) for f in self.findings],
        }


def reachability(cat: Catalogue, profile_id: str = "scro") -> list[str]:
    """Competences the profile targets that no module outcome reaches at the target level."""
    best: dict[str, int] = {}
    for module in cat.curriculum.modules:
        for outcome in module.outcomes:
            best[outcome.competence] = max(best.get(outcome.competence, 0), outcome.level)
    problems = []
    for comp_id, target in cat.profile(profile_id).targets.items():
        reached = best.get(comp_id, 0)
        if reached < target.level:
            problems.append(
                f"profile {profile_id} needs {comp_id} at level {target.level}, but the best "
                f"module outcome reaches level {reached}"
            )
    return problems


def _assessment(cat: Catalogue) -> list[str]:
    return [
        f"module {module.id}: outcome {outcome.id} is not covered by any assessment method"
        for module in cat.curriculum.modules
        for outcome in module.outcomes
        if not outcome.assessment
    ]


def _programmes(cat: Catalogue) -> list[str]:
    problems = []
    modules = {m.id: m for m in cat.curriculum.modules}
    for programme in cat.curriculum.programmes:
        placed: set[str] = set()
        for module_id in programme.modules:
            module = modules[module_id]
            late = [p for p in module.prerequisites if p in programme.modules and p not in placed]
            if late:
                problems.append(
                    f"programme {programme.id}: module {module_id} comes before its "
                    f"prerequisite {', '.join(late)}"
                )
            placed.add(module_id)
        total = sum(modules[m].ects for m in programme.modules)
        if not math.isclose(total, programme.ects, abs_tol=0.01):
            problems.append(
                f"programme {programme.id}: declares {programme.ects:g} ECTS but its modules "
                f"add up to {total:g}"
            )
        low = [m for m in programme.modules if modules[m].eqf < programme.eqf - 1]
        if low:
            problems.append(
                f"programme {programme.id} at EQF {programme.eqf} includes modules below "
                f"EQF {programme.eqf - 1}: {', '.join(low)}"
            )
    return problems


def audit(
    path: str | Path | None = None, *, profile: str = "scro", max_bytes: int = MAX_BYTES
) -> Report:
    """Audit a catalogue folder (the bundled content when ``path`` is None)."""
    folder = Path(path) if path is not None else bundled_path()
    report = Report(source=str(path) if path is not None else "bundled SCRO catalogue")
    sources, errors = read_folder(folder, max_bytes=max_bytes)
    try:
        cat = build(sources, errors)
    except ContentError as exc:
        report.findings += [Finding("error", "load", e) for e in exc.errors]
        return report
    report.catalogue = cat
    if profile in cat.profiles:
        report.findings += [Finding("error", "reachability", m) for m in reachability(cat, profile)]
    elif cat.profiles:
        report.findings.append(
            Finding("warning", "reachability", f"no profile {profile!r}; reachability not checked")
        )
    report.findings += [Finding("error", "assessment", m) for m in _assessment(cat)]
    report.findings += [Finding("error", "programmes", m) for m in _programmes(cat)]
    report.findings += [
        Finding("warning", "translation", f"missing translation {m}")
        for m in missing_translations(cat)
    ]
    return report
