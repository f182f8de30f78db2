"""Published reference frameworks the SCRO framework maps to, by their official numbering.

Only codes and short names are listed: they are what a mapping is checked against.
"""

from __future__ import annotations

import re

#: e-CF 4.0 (EN 16234-1:2019): 41 competences in five areas (Plan, Build, Run, Enable, Manage).
ECF_COMPETENCES: dict[str, str] = {
    "A.1": "IS and Business Strategy Alignment",
    "A.2": "Service Level Management",
    "A.3": "Business Plan Development",
    "A.4": "Product or Service Planning",
    "A.5": "Architecture Design",
    "A.6": "Application Design",
    "A.7": "Technology Trend Monitoring",
    "A.8": "Sustainable Development",
    "A.9": "Innovating",
    "A.10": "User Experience",
    "B.1": "Application Development",
    "B.2": "Component Integration",
    "B.3": "Testing",
    "B.4": "Solution Deployment",
    "B.5": "Documentation Production",
    "B.6": "Systems Engineering",
    "C.1": "User Support",
    "C.2": "Change Support",
    "C.3": "Service Delivery",
    "C.4": "Problem Management",
    "D.1": "Information Security Strategy Development",
    "D.2": "ICT Quality Strategy Development",
    "D.3": "Education and Training Provision",
    "D.4": "Purchasing",
    "D.5": "Sales Proposal Development",
    "D.6": "Channel Management",
    "D.7": "Sales Management",
    "D.8": "Contract Management",
    "D.9": "Personnel Development",
    "D.10": "Information and Knowledge Management",
    "D.11": "Needs Identification",
    "D.12": "Digital Marketing",
    "E.1": "Forecast Development",
    "E.2": "Project and Portfolio Management",
    "E.3": "Risk Management",
    "E.4": "Relationship Management",
    "E.5": "Process Improvement",
    "E.6": "ICT Quality Management",
    "E.7": "Business Change Management",
    "E.8": "Information Security Management",
    "E.9": "IS Governance",
}

#: DigComp 2.2: 21 competences in five areas.
DIGCOMP_COMPETENCES: dict[str, str] = {
    "1.1": "Browsing, searching and filtering data, information and digital content",
    "1.2": "Evaluating data, information and digital content",
    "1.3": "Managing data, information and digital content",
    "2.1": "Interacting through digital technologies",
    "2.2": "Sharing through digital technologies",
    "2.3": "Engaging in citizenship through digital technologies",
    "2.4": "Collaborating through digital technologies",
    "2.5": "Netiquette",
    "2.6": "Managing digital identity",
    "3.1": "Developing digital content",
    "3.2": "Integrating and re-elaborating digital content",
    "3.3": "Copyright and licences",
    "3.4": "Programming",
    "4.1": "Protecting devices",
    "4.2": "Protecting personal data and privacy",
    "4.3": "Protecting health and well-being",
    "4.4": "Protecting the environment",
    "5.1": "Solving technical problems",
    "5.2": "Identifying needs and technological responses",
    "5.3": "Creatively using digital technologies",
    "5.4": "Identifying digital competence gaps",
}

#: UNDRR Ten Essentials for Making Cities Resilient.
UNDRR_ESSENTIALS: dict[int, str] = {
    1: "Organise for disaster resilience",
    2: "Identify, understand and use current and future risk scenarios",
    3: "Strengthen financial capacity for resilience",
    4: "Pursue resilient urban development and design",
    5: "Safeguard natural buffers to enhance ecosystems' protective functions",
    6: "Strengthen institutional capacity for resilience",
    7: "Understand and strengthen societal capacity for resilience",
    8: "Increase infrastructure resilience",
    9: "Ensure effective disaster response",
    10: "Expedite recovery and build back better",
}

#: City Resilience Index (Arup): the four dimensions, by the ids used in CRISIS files.
CRI_DIMENSIONS: dict[str, str] = {
    "health-wellbeing": "Health & wellbeing",
    "economy-society": "Economy & society",
    "infrastructure-environment": "Infrastructure & environment",
    "leadership-strategy": "Leadership & strategy",
}

#: Moodle's competency taxonomy terms (one per depth level of a framework).
MOODLE_TAXONOMIES: tuple[str, ...] = (
    "behaviour",
    "competency",
    "concept",
    "domain",
    "indicator",
    "level",
    "outcome",
    "practice",
    "proficiency",
    "skill",
    "value",
)

ESCO_SKILL_URI = re.compile(
    r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
ESCO_OCCUPATION_URI = re.compile(
    r"^http://data\.europa\.eu/esco/occupation/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
