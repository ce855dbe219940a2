"""Rule-based classification of incidents from their description and location.

The rules are data: read the tables below to know what the classifier does. Matching ignores
case and accents ("INCENDIÓ" matches "incendio") and works on whole words, with a plural
"s"/"es" allowed ("cables" matches "cable"); a keyword of several words matches that phrase.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from alerta_utec.model import PRIORITIES


@dataclass(frozen=True)
class Rule:
    classification: str
    priority: str
    keywords: tuple[str, ...]


# fmt: off
# First rule whose keywords appear in the description wins, so the most severe come first.
# When the description matches none, the location gets the same chance.
RULES: tuple[Rule, ...] = (
    Rule("fire", "high", (
        "incendio", "fuego", "humo", "llamas", "quemando", "explosion",
        "fire", "smoke", "flames", "burning",
    )),
    Rule("medical", "high", (
        "herido", "herida", "sangre", "sangrando", "desmayo", "desmayado", "inconsciente",
        "ambulancia", "convulsion", "infarto", "fractura",
        "injured", "injury", "bleeding", "blood", "fainted", "unconscious", "ambulance",
        "seizure", "heart attack",
    )),
    Rule("security", "high", (
        "robo", "robaron", "asalto", "arma", "pistola", "cuchillo", "intruso", "pelea",
        "agresion", "acoso", "amenaza",
        "theft", "stolen", "robbery", "assault", "weapon", "gun", "knife", "intruder", "fight",
        "harassment", "threat",
    )),
    Rule("hazardous_materials", "high", (
        "fuga de gas", "olor a gas", "derrame quimico", "quimico", "toxico",
        "gas leak", "smell of gas", "chemical", "toxic",
    )),
    Rule("electrical", "medium", (
        "cortocircuito", "chispa", "apagon", "sin luz", "electricidad", "electrico",
        "enchufe", "tomacorriente", "cable",
        "short circuit", "spark", "power outage", "blackout", "no power", "electrical", "outlet",
        "wire",
    )),
    Rule("water", "medium", (
        "fuga de agua", "inundacion", "inundado", "gotera", "tuberia", "caneria", "agua",
        "desague",
        "water", "leak", "leaking", "flood", "flooding", "pipe",
    )),
    Rule("infrastructure", "medium", (
        "ascensor", "puerta", "ventana", "techo", "pared", "escalera", "vidrio", "roto", "rota",
        "danado",
        "elevator", "door", "window", "ceiling", "roof", "wall", "stairs", "glass", "broken",
        "damaged",
    )),
    Rule("technology", "low", (
        "wifi", "internet", "conexion", "proyector", "computadora", "impresora", "contrasena",
        "network", "connection", "projector", "computer", "printer", "password",
    )),
    Rule("cleaning", "low", (
        "basura", "limpieza", "sucio", "sucia", "olor", "plaga", "cucaracha", "rata",
        "trash", "garbage", "dirty", "cleaning", "smell", "pest", "cockroach", "rats",
    )),
)

DEFAULT_RULE = Rule("general", "low", ())

# Each of these raises the priority one level (never above "high").
URGENCY_KEYWORDS: tuple[str, ...] = (
    "urgente", "emergencia", "auxilio", "peligro", "peligroso", "grave", "critico",
    "urgent", "emergency", "danger", "dangerous", "critical",
)
SENSITIVE_LOCATIONS: tuple[str, ...] = (
    "laboratorio", "topico", "enfermeria", "auditorio",
    "laboratory", "lab", "infirmary", "auditorium",
)
# fmt: on


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.findall(r"[a-z0-9]+", without_accents.casefold()))


def _pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(normalize(keyword)) for keyword in keywords)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?:s|es)?(?![a-z0-9])")


@dataclass(frozen=True)
class Classification:
    classification: str
    priority: str
    reasons: tuple[str, ...]


class IncidentClassifier:
    """Applies RULES (or another ordered rule table) to an incident's description and location."""

    def __init__(
        self,
        rules: tuple[Rule, ...] = RULES,
        default: Rule = DEFAULT_RULE,
        urgency_keywords: tuple[str, ...] = URGENCY_KEYWORDS,
        sensitive_locations: tuple[str, ...] = SENSITIVE_LOCATIONS,
    ) -> None:
        for rule in (*rules, default):
            if rule.priority not in PRIORITIES:
                raise ValueError(f"rule {rule.classification!r}: priority {rule.priority!r} not in {PRIORITIES}")
        self._rules = [(rule, _pattern(rule.keywords)) for rule in rules]
        self._default = default
        self._urgency = _pattern(urgency_keywords)
        self._sensitive = _pattern(sensitive_locations)

    def classify(self, description: str, location: str = "") -> Classification:
        text = {"description": normalize(description), "location": normalize(location)}
        rule, reasons = self._default, ["no rule matched"]
        for field in ("description", "location"):
            found = next(
                ((rule, match) for rule, pattern in self._rules if (match := pattern.search(text[field]))),
                None,
            )
            if found:
                rule, match = found
                reasons = [f"{field} mentions {match.group(0)!r}"]
                break
        priority = rule.priority
        for field, pattern, why in (
            ("description", self._urgency, "urgency"),
            ("location", self._sensitive, "sensitive location"),
        ):
            if match := pattern.search(text[field]):
                priority = _raise(priority)
                reasons.append(f"{why} {match.group(0)!r} raises the priority")
        return Classification(rule.classification, priority, tuple(reasons))


def _raise(priority: str) -> str:
    return PRIORITIES[max(PRIORITIES.index(priority) - 1, 0)]
