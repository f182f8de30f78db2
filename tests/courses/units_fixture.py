"""A small, fixed module of unit files for the tests that need one (not the bundled units).

Module M01 of the curriculum with three units — a quiz, a workbench task and an exercise —
written to a folder by :func:`write_units` and loaded as any folder of units is. Tests whose
point is the bundled content use :func:`crisis.courses.bundled_course` instead.
"""

from __future__ import annotations

from pathlib import Path

from crisis.courses import Course, load_units

_LESSON = """::: lesson
## Why look at the city as a system

A city is a set of networks that lean on one another: power feeds the pumps, the pumps feed
the hospitals, the cell towers carry the calls that send the crews.

| network | depends on |
| --- | --- |
| water pumps | power |
| cell towers | power |

When one link fails, the failure travels along these dependencies.
:::

::: case
In 2003 a fault on a line in Switzerland left almost all of Italy without power for hours.
The case shows how one failure spreads across borders and networks.
:::

::: activity
{activity}
:::

::: reflection
1. Which network of your city do most of the others depend on?
:::
"""

UNITS: dict[str, str] = {
    "M01-1.md": """---
id: M01-1
module: M01
title: The city as a system of systems
outcomes: [M01.1]
minutes: 80
case: The 2003 blackout in Italy
activity:
  kind: quiz
  competences: [C01, C11]
  max_level: 2
  questions: 5
  pass: 0.8
---

"""
    + _LESSON.format(activity="Take the self-check quiz: five questions, four correct to pass."),
    "M01-2.md": """---
id: M01-2
module: M01
title: Hazard, exposure, vulnerability, risk
outcomes: [M01.2]
minutes: 80
case: The 2021 floods in the Ahr valley
activity:
  kind: workbench
  task: register
---

"""
    + _LESSON.format(activity="Enter three hazards in the register of your practice workspace."),
    "M01-3.md": """---
id: M01-3
module: M01
title: Following a flood through the networks
outcomes: [M01.1]
minutes: 80
case: Hurricane Sandy and New York's hospitals, 2012
activity:
  kind: exercise
  exercise: river-flood
---

"""
    + _LESSON.format(activity="Play the river-flood exercise to the end."),
}


def write_units(folder: Path, **changed: str) -> Path:
    """Write the fixture units (with ``changed`` file texts replacing or adding some)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**UNITS, **changed}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def fixture_course(folder: Path, **changed: str) -> Course:
    """The fixture units (and ``changed`` ones), written to ``folder`` and loaded and checked
    like any folder of units."""
    return load_units(write_units(folder, **changed))
