"""Layouts and habits of real converted UN reports, on text written for these tests."""

import pytest

from pipeline.extract.metrics import extract_paragraph
from pipeline.extract.structure import Paragraph, parse
from pipeline.read import families
from pipeline.read.ingest import Document


def _doc(text: str) -> Document:
    """A text in the habits of UN reports, read by the Secretary-General's reports' family."""
    family = families.get("un_sg_report")
    return Document("t", "t.txt", "txt", text, "0" * 64, len(text), family=family)


def _metrics(text: str):
    par = Paragraph(1, None)
    par.add(text, 0, len(text))
    return extract_paragraph(par, "t", None, None)


def test_one_reply_for_several_recommendation_numbers():
    text = (
        "1. The State accepts the following recommendations.\n"
        "2., 3., 4.   The State accepts these recommendations and has acted on them.\n"
        "5., 6.,\n7.   The State notes these recommendations.\n"
        "8.   The State accepts this recommendation.\n"
    )
    s = parse(_doc(text))
    assert [p.number for p in s.paragraphs] == [1, 2, 5, 8]
    assert s.warnings == []
    assert not any(m.value in (3, 4, 6, 7) for p in s.paragraphs for m in _metrics(p.text))


def test_end_notes_section_is_footnotes_not_text():
    text = (
        "1. The Committee noted progress in 2022.1 It welcomed 12 new shelters.2\n"
        "2. The Committee recommended further steps.3\n\nNotes\n\n"
        "1 See CCPR/C/SVN/CO/4, para. 12.\n2 Ibid., paras. 5 and 6.\n"
        "3 See https://example.org/doc?id=4366774,103533:NO.\n"
    )
    s = parse(_doc(text))
    assert [f.marker for f in s.footnotes] == ["1", "2", "3"]
    assert [p.number for p in s.paragraphs] == [1, 2]
    values = [m.value for p in s.paragraphs for m in _metrics(p.text)]
    assert values == [12]


def test_plain_numbered_footnote_at_the_foot_of_a_page():
    text = (
        "1. The Office trained 40 judges in the capital.1 It also\n"
        "1 See the annual report for details.\n"
        "A/HRC/55/12\n"
        "trained 25 prosecutors.\n2. Next paragraph.\n"
    )
    s = parse(_doc(text))
    assert [f.marker for f in s.footnotes] == ["1"]
    assert "25 prosecutors" in s.paragraphs[0].text
    assert [m.value for m in _metrics(s.paragraphs[0].text)] == [40, 25]


@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("The rate fell to 23.7%6 in the last survey.", [23.7]),
        ("Recalling its previous observations,74 the Committee asked for data.", []),
        ("The plan was adopted in 2021. 8 The Subcommittee welcomed it.", []),
        ("The Programme for Youth 2013–202212 was extended.", []),
        ("The Programme for Youth 2013–\n202212 was extended.", []),
    ],
)
def test_footnote_markers_left_in_the_text_are_not_metrics(sentence, values):
    assert [m.value for m in _metrics(sentence)] == values


def test_each_figure_of_a_comparison_keeps_its_own_year():
    ms = _metrics("Child poverty increased from 11.2% in 2009 to 13.5% in 2012.")
    assert [(m.value, m.unit, m.year) for m in ms] == [
        (11.2, "percent", 2009),
        (13.5, "percent", 2012),
    ]


def test_year_then_to_then_a_count_is_not_a_range():
    ms = _metrics("Compensation was offered in 2022 to 25,671 “erased” persons.")
    assert [(m.value, m.value_max, m.entity, m.year) for m in ms] == [
        (25671, None, "erased persons", 2022)
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "It criminalizes contacting persons under the age of 15 online.",
        "Detention may last no more than 15 consecutive days.",
        "Shelters host girls aged 12 to 17.",
    ],
)
def test_ages_and_durations_are_not_counts(sentence):
    assert _metrics(sentence) == []


def test_entity_of_a_rate_is_the_noun_before_the_verb():
    ms = _metrics("The Committee of Experts noted that the gender pay gap was 8 per cent.")
    assert [(m.value, m.entity) for m in ms] == [(8, "gender pay gap")]


def test_minimum_is_at_least_and_the_percentage_names_its_noun():
    [m] = _metrics("The law sets a minimum 40 per cent quota for women on electoral lists.")
    assert (m.qualifier, m.unit, m.entity) == ("at_least", "percent", "quota")


def test_year_in_an_aside_does_not_date_the_figure_outside_it():
    [m] = _metrics("The strategy (adopted in April 2013) aims to reach 40,000 households.")
    assert m.year is None and m.entity == "households"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The appeal, which sought US$ 4.4 billion, was 52 per cent funded.",
            [(4.4e9, "appeal"), (52, "appeal")],
        ),
        (
            "The number of displaced persons rose from 2.9 million in May to 3.4 million in June.",
            [(2.9e6, "displaced persons"), (3.4e6, "displaced persons")],
        ),
        (
            "Partners reached 15 of the country's 18 provinces.",
            [(15, "provinces"), (18, "provinces")],
        ),
        (
            "Women held 26.5 per cent of seats, up from 22.3 per cent in 2015.",
            [(26.5, "seats"), (22.3, "seats")],
        ),
        (
            "The Office received 1,024 complaints, of which 612 concerned detention.",
            [(1024, "complaints"), (612, "complaints")],
        ),
        ("The Mission assisted 8.2 million people.", [(8.2e6, "people")]),
    ],
)
def test_entities_in_common_report_phrasings(sentence, expected):
    assert [(m.value, m.entity) for m in _metrics(sentence)] == expected


def test_a_baseline_year_after_up_from_belongs_to_the_baseline_only():
    ms = _metrics("Women held 26.5 per cent of seats, up from 22.3 per cent in 2015.")
    assert [m.year for m in ms] == [None, 2015]


@pytest.mark.parametrize(
    ("sentence", "values"),
    [
        ("The guidance in annex I and 3 experts from the region helped.", [3]),
        ("Under paragraph 12 and 3 expert missions, the Office acted.", [3]),
        ("The vehicles and 5 countries were named in the principle text.", [5]),
        ("Items 4, 6 and 8 of the agenda were considered.", []),
    ],
)
def test_identifier_lists_stop_where_a_count_begins(sentence, values):
    assert [m.value for m in _metrics(sentence)] == values


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The Fund received 2,400 requests, of which 1,100 were urgent appeals.",
            [(2400, "requests"), (1100, "urgent appeals")],
        ),
        ("Grants accounted for 61 per cent of the total.", [(61, "grants")]),
        ("The Agency spent $4 million in funding to the camps.", [(4e6, "funding")]),
        (
            "The Union contributed EUR 9 million to the national court programme.",
            [(9e6, "national court programme")],
        ),
        (
            "The appeal sought $3 billion to reach 40 million people.",
            [(3e9, "appeal"), (40e6, "people")],
        ),
        ("The Bank announced pledges of US$ 2.1 billion at the conference.", [(2.1e9, "pledges")]),
        (
            "Rangers carried out 1,900 patrols, including 450 night patrols.",
            [(1900, "patrols"), (450, "night patrols")],
        ),
        ("The project distributed 800 tons of certified seed.", [(800, "certified seed")]),
    ],
)
def test_entities_of_sums_shares_and_parts(sentence, expected):
    assert [(m.value, m.entity) for m in _metrics(sentence)] == expected


def test_a_generic_figure_takes_what_the_paragraph_counted_before():
    ms = _metrics(
        "Some 52 million people were displaced in 2030. By the end of 2031 the "
        "figure stood at 58.2 million."
    )
    assert [(m.value, m.entity, m.year) for m in ms] == [
        (52e6, "people", 2030),
        (58.2e6, "people", 2031),
    ]


def test_a_verb_of_exceeding_is_a_more_than_qualifier():
    [m] = _metrics("The backlog of pending cases exceeded 3,000.")
    assert (m.qualifier, m.entity) == ("more_than", "backlog of pending cases")


@pytest.mark.parametrize(
    ("sentence", "years"),
    [
        ("The Global Survey on Housing 2031 counted 140 cities.", [None]),
        ("By mid-2031, 77 countries had signed.", [2031]),
        ("Trade grew by 4 per cent over 2030.", [None]),
        ("Between 3 March 2030 and 2 April 2031, the team held 64 hearings.", [None]),
        ("In 2031, 420 schools reopened, compared with 380 in 2030.", [2031, 2030]),
        ("In 2031, 420 schools reopened, up from 380.", [2031, None]),
    ],
)
def test_years_of_titles_baselines_and_periods(sentence, years):
    assert [m.year for m in _metrics(sentence)] == years


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Penalties ranged from 3 to 12 years of imprisonment.", []),
        ("There were two attacks, in which one guard was wounded.", [(2, "attacks"), (1, "guard")]),
        (
            "Camps hosted 1.4 million internally displaced persons.",
            [(1.4e6, "internally displaced persons")],
        ),
        (
            "Some 9,000 people arrived, 64 per cent of whom are women.",
            [(9000, "people"), (64, "women")],
        ),
        (
            "Some 9,000 people arrived, 40 per cent of them children.",
            [(9000, "people"), (40, "children")],
        ),
    ],
)
def test_durations_counts_of_one_adverbs_and_shares_of_a_group(sentence, expected):
    assert [(m.value, m.entity) for m in _metrics(sentence)] == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The plan was 40 per cent funded, with $2.2 billion received out of "
            "$5.5 billion required.",
            [(40, "plan"), (2.2e9, "funding received"), (5.5e9, "funding required")],
        ),
        (
            "Donors must close the funding gap of $900 million in the regional plan.",
            [(9e8, "funding gap")],
        ),
        ("The 2031 appeal seeks $2.6 billion.", [(2.6e9, "appeal")]),
        ("The Office's 14 clinics, worth $3 million, opened.", [(14, "clinics"), (3e6, "clinics")]),
        (
            "Unpaid contributions for all field missions amounted to $900 million.",
            [(9e8, "unpaid contributions")],
        ),
    ],
)
def test_what_sums_of_money_are(sentence, expected):
    assert [(m.value, m.entity) for m in _metrics(sentence)] == expected


def test_a_percentage_change_is_a_change_in_what_was_counted():
    ms = _metrics("The team recorded 1,200 arrests, a 9 per cent increase on the year before.")
    assert [(m.value, m.entity) for m in ms] == [(1200, "arrests"), (9, "arrests")]


def test_a_year_in_front_of_a_named_plan_dates_its_figures():
    [m] = _metrics("The 2031 response plan seeks $2.6 billion.")
    assert m.year == 2031
