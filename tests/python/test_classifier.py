"""IncidentClassifier: the rule table, read as sentences."""

from __future__ import annotations

import pytest

from alerta_utec.classifier import RULES, IncidentClassifier, Rule, normalize

CASES = [
    # description, location, classification, priority
    ("Hay un incendio en el laboratorio 3", "", "fire", "high"),
    ("Sale HUMO del tablero eléctrico", "Pabellón B", "fire", "high"),
    ("Smoke coming out of the vending machine", "Cafeteria", "fire", "high"),
    ("Un alumno se desmayó y está inconsciente", "Patio", "medical", "high"),
    ("Student fainted near the stairs", "", "medical", "high"),
    ("Me robaron la mochila", "Biblioteca", "security", "high"),
    ("Someone stole my laptop, theft reported", "", "security", "high"),
    ("Fuerte olor a gas en la cocina", "Cafetería", "hazardous_materials", "high"),
    ("Hay un cortocircuito en el enchufe", "Aula 201", "electrical", "medium"),
    ("Power outage in the whole building", "", "electrical", "medium"),
    ("Gotera en el techo del aula", "Aula 305", "water", "medium"),
    ("Water leaking from a pipe", "", "water", "medium"),
    ("La puerta del aula está rota", "Aula 101", "infrastructure", "medium"),
    ("The elevator is broken", "", "infrastructure", "medium"),
    ("No hay WiFi", "Aula 101", "technology", "low"),
    ("The projector does not turn on", "", "technology", "low"),
    ("Basura acumulada en el pasillo", "", "cleaning", "low"),
    ("Bathroom is dirty", "", "cleaning", "low"),
    ("Algo raro pasa", "Aula 101", "general", "low"),
]


@pytest.mark.parametrize(("description", "location", "classification", "priority"), CASES)
def test_each_rule_classifies_its_keywords_in_spanish_and_english(
    description: str, location: str, classification: str, priority: str
) -> None:
    result = IncidentClassifier().classify(description, location)
    assert (result.classification, result.priority) == (classification, priority)


@pytest.mark.parametrize("description", ["INCENDIO", "Incendió", "incéndio", "  incendio!!", "incendios"])
def test_matching_ignores_case_accents_punctuation_and_plural(description: str) -> None:
    assert IncidentClassifier().classify(description).classification == "fire"


@pytest.mark.parametrize(
    ("description", "location"),
    [("rates are high", ""), ("cablevision", ""), ("fireworks planned", ""), ("labores de oficina", "Collaboratory")],
)
def test_keywords_match_whole_words_only(description: str, location: str) -> None:
    result = IncidentClassifier().classify(description, location)
    assert (result.classification, result.priority) == ("general", "low")


def test_the_more_severe_rule_wins_when_several_match() -> None:
    result = IncidentClassifier().classify("Fuga de agua y humo saliendo del cable")
    assert result.classification == "fire"


def test_the_location_is_used_when_the_description_matches_nothing() -> None:
    assert IncidentClassifier().classify("Por favor revisar", "Ascensor del pabellón C").classification == (
        "infrastructure"
    )
    assert IncidentClassifier().classify("Revisar el proyector", "Ascensor").classification == "technology"


@pytest.mark.parametrize(
    ("description", "location", "priority"),
    [
        ("Urgente: no hay wifi", "Aula 101", "medium"),
        ("no hay wifi", "Laboratorio de química", "medium"),
        ("URGENTE: no hay wifi", "Laboratorio", "high"),
        ("Emergency! fire in the hallway", "Lab 2", "high"),
        ("Algo raro pasa", "Tópico", "medium"),
    ],
)
def test_urgency_and_sensitive_locations_each_raise_the_priority_one_level(
    description: str, location: str, priority: str
) -> None:
    assert IncidentClassifier().classify(description, location).priority == priority


def test_an_empty_incident_gets_the_default_class() -> None:
    result = IncidentClassifier().classify("", "")
    assert (result.classification, result.priority) == ("general", "low")
    assert result.reasons == ("no rule matched",)


def test_reasons_say_which_keyword_decided() -> None:
    assert IncidentClassifier().classify("Hay humo").reasons == ("description mentions 'humo'",)


def test_a_custom_rule_table_replaces_the_default_one() -> None:
    classifier = IncidentClassifier(rules=(Rule("pets", "medium", ("perro", "dog")),))
    assert classifier.classify("Un perro suelto").classification == "pets"
    assert classifier.classify("Hay un incendio").classification == "general"


def test_a_rule_with_an_unknown_priority_is_rejected() -> None:
    with pytest.raises(ValueError, match="urgent"):
        IncidentClassifier(rules=(Rule("x", "urgent", ("x",)),))


def test_every_rule_has_spanish_and_english_keywords_and_a_known_priority() -> None:
    for rule in RULES:
        assert rule.priority in {"high", "medium", "low"}
        assert len(rule.keywords) >= 4, rule.classification
    assert len({rule.classification for rule in RULES}) == len(RULES)


def test_normalize_strips_accents_case_and_punctuation() -> None:
    assert normalize("¡Tubería ROTA, en el baño!") == "tuberia rota en el bano"
