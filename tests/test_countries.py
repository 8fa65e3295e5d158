"""Tests for pipeline.countries."""

from __future__ import annotations

import pytest

from pipeline.extract.countries import CountryMention, country_codes, find_countries


def _iso3(text: str) -> list[str]:
    """Return the ISO alpha-3 codes of the mentions in text, in order."""
    return [mention.iso3 for mention in find_countries(text)]


def test_un_name_forms_with_parentheses() -> None:
    text = (
        "The Special Rapporteur visited Bolivia (Plurinational State of), "
        "Iran (Islamic Republic of), Venezuela (Bolivarian Republic of) and "
        "Micronesia (Federated States of) during the reporting period."
    )
    mentions = find_countries(text)
    assert [m.iso3 for m in mentions] == ["BOL", "IRN", "VEN", "FSM"]
    assert mentions[0].name == "Bolivia (Plurinational State of)"
    assert mentions[1].name == "Iran (Islamic Republic of)"


@pytest.mark.parametrize("apostrophe", ["'", "\u2019"])
def test_lao_with_straight_and_curly_apostrophe(apostrophe: str) -> None:
    name = f"Lao People{apostrophe}s Democratic Republic"
    text = f"Technical cooperation with the {name} was expanded in 2023."
    mentions = find_countries(text)
    assert [(m.iso3, m.m49, m.name) for m in mentions] == [("LAO", "418", name)]


def test_the_niger_and_nigeria_are_distinct() -> None:
    text = "Flooding affected the Niger, while Nigeria reported a rise in displacement."
    mentions = find_countries(text)
    assert [(m.iso3, m.name) for m in mentions] == [("NER", "Niger"), ("NGA", "Nigeria")]


def test_word_boundaries() -> None:
    text = "A woman from Romania addressed delegates from Oman on Omani initiatives."
    assert _iso3(text) == ["ROU", "OMN"]


@pytest.mark.parametrize("name", ["Türkiye", "Turkey"])
def test_turkiye_and_turkey(name: str) -> None:
    assert _iso3(f"The Government of {name} hosted the regional consultation.") == ["TUR"]


def test_lowercase_turkey_is_not_a_country() -> None:
    assert find_countries("Families received rice, flour and turkey as food aid.") == []


def test_lowercase_common_words_are_not_countries() -> None:
    text = "The guinea pig trial and a china cabinet were listed in the annex."
    assert find_countries(text) == []


@pytest.mark.parametrize(
    "name", ["Côte d'Ivoire", "Côte d\u2019Ivoire", "Cote d'Ivoire", "Cote d\u2019Ivoire"]
)
def test_cote_d_ivoire_spellings(name: str) -> None:
    mentions = find_countries(f"Elections in {name} were held peacefully.")
    assert [(m.iso3, m.m49, m.name) for m in mentions] == [("CIV", "384", name)]


def test_democratic_republic_of_the_congo_split_across_lines() -> None:
    text = (
        "Humanitarian access in the eastern provinces of the Democratic Republic of the"
        "\n\nCongo remained severely constrained."
    )
    mentions = find_countries(text)
    assert [m.iso3 for m in mentions] == ["COD"]
    assert mentions[0].name == "Democratic Republic of the\n\nCongo"


def test_congo_alone_is_the_republic_of_the_congo() -> None:
    text = "Both the Democratic Republic of the Congo and the Congo signed the protocol."
    assert _iso3(text) == ["COD", "COG"]


@pytest.mark.parametrize(
    "text",
    [
        "Insecurity spread across West Africa and the Sahel.",
        "Migration from Central Asia and South-East Asia increased.",
        "Latin America and the Caribbean recorded slower growth.",
        "Tensions persisted in the Southern Caucasus and Eastern Europe.",
        "Africa, Europe, Asia and the Middle East were all represented.",
        "Drought hit North Africa, East Africa, Central Africa and Southern Africa.",
        "African and Afghan civil society organizations submitted statements.",
        "Piracy in the Gulf of Guinea declined for a third consecutive year.",
        "Maritime patrols in the Gulf of\nGuinea were reinforced.",
    ],
)
def test_regions_and_adjectives_give_nothing(text: str) -> None:
    assert find_countries(text) == []


def test_gulf_of_guinea_blocked_but_guinea_bissau_found() -> None:
    text = "Guinea-Bissau joined the Gulf of Guinea maritime security initiative."
    assert _iso3(text) == ["GNB"]


def test_guinea_family_longest_match() -> None:
    text = "Guinea, Equatorial Guinea, Guinea-Bissau and Papua New Guinea reported."
    assert _iso3(text) == ["GIN", "GNQ", "GNB", "PNG"]


def test_south_africa_and_central_african_republic_are_countries() -> None:
    text = "South Africa and the Central African Republic, unlike West Africa, are States."
    assert _iso3(text) == ["ZAF", "CAF"]


def test_sudan_and_south_sudan() -> None:
    assert _iso3("The Sudan and South Sudan agreed on the border.") == ["SDN", "SSD"]


def test_dominica_and_dominican_republic() -> None:
    assert _iso3("Dominica and the Dominican Republic were affected.") == ["DMA", "DOM"]


def test_korea_forms() -> None:
    text = "The Democratic People\u2019s Republic of Korea and the Republic of Korea held talks."
    assert _iso3(text) == ["PRK", "KOR"]


def test_offsets_slice_back_to_printed_name() -> None:
    text = (
        "Statements were made by Viet Nam, the United Kingdom of Great Britain and "
        "Northern Ireland, the State of Palestine, Türkiye and the Russian Federation."
    )
    mentions = find_countries(text)
    assert [m.iso3 for m in mentions] == ["VNM", "GBR", "PSE", "TUR", "RUS"]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.name
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)


def test_m49_codes_are_zero_padded() -> None:
    mentions = find_countries("Afghanistan, Albania, the Bahamas and Brazil.")
    assert [(m.iso3, m.m49) for m in mentions] == [
        ("AFG", "004"),
        ("ALB", "008"),
        ("BHS", "044"),
        ("BRA", "076"),
    ]
    assert all(len(m.m49) == 3 and m.m49.isdigit() for m in mentions)


def test_mention_is_frozen_dataclass() -> None:
    mention = find_countries("Chad")[0]
    assert mention == CountryMention("TCD", "148", "Chad", 0, 4)
    with pytest.raises(AttributeError):
        mention.iso3 = "XXX"  # type: ignore[misc]


def test_kosovo_is_skipped() -> None:
    assert find_countries("The mission in Kosovo continued its work.") == []


def test_country_codes_unique_in_order_of_first_mention() -> None:
    text = (
        "Turkey and the Syrian Arab Republic discussed returns; later Türkiye, "
        "Syria and Jordan met again, and Jordan hosted the follow-up."
    )
    assert country_codes(text) == [
        ("TUR", "792", "Turkey"),
        ("SYR", "760", "Syrian Arab Republic"),
        ("JOR", "400", "Jordan"),
    ]


def test_empty_text() -> None:
    assert find_countries("") == []
    assert country_codes("") == []
