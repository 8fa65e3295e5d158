"""Structure: paragraphs, footnotes, sections and furniture, on the first report and variants."""

import re
from pathlib import Path

import pytest

from pipeline.extract.structure import is_furniture, parse
from pipeline.read import families
from pipeline.read.ingest import Document, ReportError, ingest
from pipeline.read.normalise import normalise

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "raw" / "unodc-activities-report-2021.txt"
# The texts below are variants of the UNODC report: read by its family's running heads and feet.
UNODC = families.get("unodc_annual_report")


def _doc(text: str, name: str = "test.txt") -> Document:
    """A Document as ingest makes it from text: normalised, read as the UNODC report's family."""
    text = normalise(text)
    suffix = Path(name).suffix.lstrip(".")
    return Document(Path(name).stem, name, suffix, text, "0" * 64, len(text), family=UNODC)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_first_report_paragraphs_footnotes_and_no_warnings():
    s = parse(ingest(REPORT))
    assert [p.number for p in s.paragraphs] == list(range(1, 132))
    numbered = [f for f in s.footnotes if f.marker.isdigit()]
    assert [f.marker for f in numbered] == ["1", "2", "3", "4", "5"]
    assert {f.marker: f.paragraph for f in numbered}["3"] == 9
    assert s.warnings == []


def test_paragraph_offsets_point_into_the_source():
    doc = ingest(REPORT)
    for p in parse(doc).paragraphs:
        assert doc.text[p.char_start : p.char_start + 20] == p.text[:20]


def test_metadata_from_the_header():
    md = ingest(REPORT).metadata
    assert md.date_issued == "2022-01-10"
    assert md.original_language == "English"
    assert md.reporting_year == 2021
    assert "Commission on Narcotic Drugs: Sixty-fifth session" in md.sessions
    assert md.title == "Activities of the United Nations Office on Drugs and Crime"


def test_paragraph_cut_by_a_page_break_and_a_footnote_is_joined():
    text = (
        "I. Overview\n\n1. The Office trained 40 judges¹ in the\n\n"
        "¹ See annex.\n\nE/CN.7/2031/4\n\nV.31-01234 3/17\n\n"
        "capital and 12 prosecutors.\n\n2. A second paragraph.\n"
    )
    s = parse(_doc(text))
    assert [p.number for p in s.paragraphs] == [1, 2]
    assert _norm(s.paragraphs[0].text) == (
        "The Office trained 40 judges¹ in the capital and 12 prosecutors."
    )
    assert [(f.marker, f.paragraph, f.text) for f in s.footnotes] == [("1", 1, "¹ See annex.")]


def test_numbering_gaps_become_warnings():
    text = "1. First paragraph of text.\n\n2. Second one.\n\n4. Fourth, after a gap.\n"
    s = parse(_doc(text))
    assert [p.number for p in s.paragraphs] == [1, 2, 4]
    assert s.warnings == ["paragraph numbering jumps from 2 to 4"]


def test_out_of_sequence_number_is_a_heading():
    text = (
        "1. Opening paragraph.\n\nA. Drugs\n\n1. Monitoring of markets\n\n"
        "2. The survey covered 30 countries.\n\n2. Prevention\n\n"
        "3. Training reached 500 teachers.\n"
    )
    s = parse(_doc(text))
    assert [p.number for p in s.paragraphs] == [1, 2, 3]
    assert [x.title for x in s.sections if x.level == 3] == ["Monitoring of markets", "Prevention"]


@pytest.mark.parametrize(
    "line",
    [
        "S/25719 English Page 4",
        "E/CN.7/2022/2",
        "V.22-00123 (E)",
        "93-24735 (E) 050593",
        "*2200123*",
        "3/17",
        "Page 12",
        "14",
    ],
)
def test_page_furniture_lines(line):
    assert is_furniture(line, UNODC)


@pytest.mark.parametrize("line", ["12 countries joined.", "In 2021, UNODC", "B. Partnerships"])
def test_text_lines_are_not_furniture(line):
    assert not is_furniture(line, UNODC)


def test_markdown_conversion_gives_the_same_paragraphs():
    """A docling-style Markdown rendering: ## headings, '- 12.' bullets, images, furniture."""
    original = REPORT.read_text(encoding="utf-8")
    lines = []
    for line in original.split("\n"):
        if re.match(r"^(?:[IVX]+|[A-H])\. ", line):
            lines.append("## " + line)
        elif re.match(r"^\d+\. \S.{200,}", line):
            lines.append("- " + line)
            if line.startswith("40. "):
                lines += ["", "<!-- image -->", "", "E/CN.7/2022/2", "", "V.22-00123  4/17"]
        else:
            lines.append(line)
    md = "\n".join(lines)
    want = parse(ingest(REPORT)).paragraphs
    got = parse(_doc(md, "variant.md")).paragraphs
    assert [p.number for p in got] == list(range(1, 132))
    assert [_norm(p.text) for p in got] == [_norm(p.text) for p in want]


def test_markdown_table_is_kept_apart_from_paragraphs():
    md = (
        "1. Seizures rose in 2021.\n\n| Drug | Tons |\n|---|---|\n| Cocaine | 567 |\n\n"
        "2. The Office trained 20 analysts.\n"
    )
    s = parse(_doc(md, "t.md"))
    assert len(s.tables) == 1 and s.tables[0].paragraph == 1
    assert s.tables[0].rows == [["Drug", "Tons"], ["Cocaine", "567"]]
    assert all("567" not in p.text for p in s.paragraphs)


def test_text_without_numbered_paragraphs_is_an_error():
    with pytest.raises(ReportError, match="no numbered paragraphs"):
        parse(_doc("Just prose, no numbers.\n"))


FONTS = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
]


def _render_pdf(text: str, path: Path) -> Path:
    """Render a report as a PDF with a running head and a job-number footer on every page."""
    from fpdf import FPDF

    font = next((f for f in FONTS if f.exists()), None)
    if font is None:
        pytest.skip("no Unicode TrueType font (DejaVu) on this machine to render the PDF")

    class Report(FPDF):
        def header(self):
            self.set_font("body", size=8)
            self.cell(0, 5, "E/CN.7/2022/2", align="R")
            self.ln(8)

        def footer(self):
            self.set_y(-12)
            self.set_font("body", size=8)
            self.cell(0, 5, f"V.22-00123  {self.page_no()}/9")

    pdf = Report(format="A4")
    pdf.add_font("body", fname=str(font))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("body", size=10)
    for block in text.split("\n"):
        if block.strip():
            pdf.multi_cell(0, 5, block.strip(), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    return path


def test_pdf_rendering_gives_the_same_paragraphs_sections_and_metrics(tmp_path):
    from pipeline.extract.metrics import extract

    pdf = _render_pdf(REPORT.read_text(encoding="utf-8"), tmp_path / "report.pdf")
    want, got = parse(ingest(REPORT)), parse(ingest(pdf))
    assert [_norm(p.text) for p in got.paragraphs] == [_norm(p.text) for p in want.paragraphs]
    assert [(s.level, s.title) for s in got.sections] == [(s.level, s.title) for s in want.sections]
    assert [(f.marker, f.paragraph) for f in got.footnotes] == [
        (f.marker, f.paragraph) for f in want.footnotes
    ]
    assert got.warnings == []
    metrics = [(m.paragraph, m.value, m.unit, m.qualifier, m.year, m.entity) for m in extract(got)]
    assert metrics == [
        (m.paragraph, m.value, m.unit, m.qualifier, m.year, m.entity) for m in extract(want)
    ]
    assert all("V.22-00123" not in p.text and "E/CN.7/2022/2" not in p.text for p in got.paragraphs)


def _drawing_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")  # a drawing, no text: like a scan of a blank page
    pdf.output(str(path))
    return path


def test_pdf_without_text_even_after_ocr_is_reported(tmp_path, monkeypatch):
    from pipeline.read.ocr import tesseract_available

    if not tesseract_available():
        pytest.skip("tesseract is not installed")
    monkeypatch.setenv("INDICATORS_OCR_CACHE", str(tmp_path / "ocr"))
    with pytest.raises(ReportError, match="scan.pdf: the PDF holds no text, even after OCR"):
        ingest(_drawing_pdf(tmp_path / "scan.pdf"))


def test_scan_without_tesseract_names_the_file_and_the_program(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on this PATH
    monkeypatch.setenv("INDICATORS_OCR_CACHE", str(tmp_path / "ocr"))
    with pytest.raises(
        ReportError,
        match=r"scan.pdf: 1 page\(s\) have no text layer .*"
        r"tesseract program is missing: install",
    ):
        ingest(_drawing_pdf(tmp_path / "scan.pdf"))


def test_not_a_pdf_is_reported(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"%PDF-1.4 this is not really a PDF")
    with pytest.raises(ReportError, match="fake.pdf: not a readable PDF"):
        ingest(path)


def test_header_block_moved_into_the_body_and_barcodes_are_dropped():
    text = (
        "1. The Office trained 40 judges.\n\nDistr.: General\n12 May 2031\n\n"
        "Original: English\n\n*3101234*\n\n2. The Office trained 12 prosecutors.\n"
    )
    s = parse(_doc(text))
    assert [_norm(p.text) for p in s.paragraphs] == [
        "The Office trained 40 judges.",
        "The Office trained 12 prosecutors.",
    ]


def test_word_hyphenated_across_a_line_end_is_joined():
    text = "1. The programme supported the develop-\nment of 14 national strategies.\n"
    s = parse(_doc(text))
    assert (
        s.paragraphs[0].text == "The programme supported the development of 14 national strategies."
    )
    # Offsets point into the published (normalised) text, where the word is whole.
    published = normalise(text)
    assert "the development\nof 14" in published
    assert s.paragraphs[0].to_source(s.paragraphs[0].text.index("14")) == published.index("14")


@pytest.mark.parametrize(
    ("broken", "whole"),
    [
        ("the Officer-\nin-Charge of the Mission", "the Officer-in-Charge of the Mission"),
        ("a community-\nbased approach", "a community-based approach"),
        ("the peace-\nkeeping operation; peace-keeping", "the peace-keeping operation"),
        ("the peace-\nkeeping operation; peacekeeping", "the peacekeeping operation"),
        ("mana-\ngement of the", "management of the"),
    ],
)
def test_line_end_hyphens_keep_real_compounds(broken, whole):
    assert normalise(broken).replace("\n", " ").startswith(whole)


def test_normalise_ligatures_spaces_escapes():
    assert (
        normalise("of\ufb01cers paid US$  16 million to the local offices of the region")
        == "officers paid US$ 16 million to the local offices of the region"
    )
    assert (
        normalise("totalled \\$354 million, 5\u00a0per\u00adcent")
        == "totalled $354 million, 5 percent"
    )
    # Table rows keep the spaces that separate their cells.
    assert normalise("Canada    34    Colombia    12") == "Canada    34    Colombia    12"


def test_metadata_of_a_converted_markdown_header():
    from pipeline.read.ingest import parse_metadata

    header = (
        "## United Nations\n\nS/2031/118\n\n## Security Council\n\n"
        "Distr.: General 3 February 2031\n\nOriginal: French\n\n"
        "## Report of the Secretary-General on the situation in the region\n\n"
        "## Summary\n\nThe present report covers developments during 2030.\n"
    )
    md = parse_metadata(header)
    assert md.symbols == ("S/2031/118",)
    assert md.date_issued == "2031-02-03"
    assert md.original_language == "French"
    assert "Security Council" in md.bodies
    assert md.reporting_year == 2030


def test_markdown_conversion_gives_the_same_metrics():
    from pipeline.extract.metrics import extract

    original = REPORT.read_text(encoding="utf-8")
    md = "\n".join(
        "- " + line
        if re.match(r"^\d+\. \S.{200,}", line)
        else ("## " + line if re.match(r"^(?:[IVX]+|[A-H])\. ", line) else line)
        for line in original.split("\n")
    )
    want = [
        (m.paragraph, m.value, m.unit, m.entity, m.qualifier, m.year)
        for m in extract(parse(ingest(REPORT)))
    ]
    got = [
        (m.paragraph, m.value, m.unit, m.entity, m.qualifier, m.year)
        for m in extract(parse(_doc(md, "variant.md")))
    ]
    assert got == want


def test_plain_text_table_after_a_caption_is_a_table_not_text():
    text = (
        "1. Seizures rose sharply in 2031.\n\nTable 1\nSeizures by region, 2031\n"
        "Region      Cocaine (tons)      Heroin (tons)\nAfrica      12      3\n"
        "Asia        4       27\n\n2. The Office trained 20 analysts.\n"
    )
    s = parse(_doc(text))
    assert [p.number for p in s.paragraphs] == [1, 2]
    assert len(s.tables) == 1 and s.tables[0].paragraph == 1
    assert ["Africa", "12", "3"] in s.tables[0].rows
    assert all("27" not in p.text for p in s.paragraphs)


def _docling_style(text: str) -> str:
    """The report as a PDF-to-Markdown converter writes it: '## ' headings, '- 12.' bullets,
    footnote markers as plain digits ('Asia. 1 The'), notes as '- 1 Available at ...', and
    running heads, job numbers, page numbers and image placeholders between paragraphs."""
    digits = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
    out, n = [], 0
    for line in text.split("\n"):
        s = line.strip()
        if m := re.match(r"^([¹²³⁴⁵⁶⁷⁸⁹]+) (.*)", s):
            out.append(f"- {m.group(1).translate(digits)} {m.group(2)}")
            continue
        s = re.sub(
            r"(\S)([¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: f"{m.group(1)} {m.group(2).translate(digits)}", s
        )
        if not s:
            out.append("")
        elif re.match(r"^\d+\. \S.{150,}", s):
            n += 1
            out.append("- " + s)
            if n % 12 == 0:
                out += [
                    "",
                    "V.22-00123",
                    "",
                    f"{n // 12 + 1}/17",
                    "",
                    "E/CN.7/2022/4",
                    "",
                    "<!-- image -->",
                ]
        elif len(s) < 150 and not s.endswith(".") and not s.startswith("("):
            out.append("## " + s)
        else:
            out.append(s)
    return "\n".join(out)


def test_converter_markdown_with_plain_digit_notes_gives_the_same_results():
    from pipeline.extract.metrics import extract

    want = parse(ingest(REPORT))
    got = parse(_doc(_docling_style(REPORT.read_text(encoding="utf-8")), "converted.md"))
    assert [p.number for p in got.paragraphs] == list(range(1, 132))
    assert got.warnings == []
    assert [(f.marker, f.paragraph) for f in got.footnotes] == [
        (f.marker, f.paragraph) for f in want.footnotes
    ]
    assert [(s.level, s.title) for s in got.sections] == [(s.level, s.title) for s in want.sections]
    key = [(m.paragraph, m.value, m.unit, m.qualifier, m.year, m.entity) for m in extract(want)]
    assert [
        (m.paragraph, m.value, m.unit, m.qualifier, m.year, m.entity) for m in extract(got)
    ] == key


def test_an_annex_does_not_run_on_into_the_last_paragraph():
    text = (
        "1. The Office trained 40 judges.\n\n2. It also trained 12 prosecutors.\n\n"
        "Annex I\n\nList of participants\n\n1. Twenty delegates attended.\n"
    )
    s = parse(_doc(text))
    assert [_norm(p.text) for p in s.paragraphs] == [
        "The Office trained 40 judges.",
        "It also trained 12 prosecutors.",
    ]
    assert s.warnings == ["text from 'Annex I' on (an annex) is not read"]


def test_a_roman_heading_after_paragraph_10_is_not_paragraph_11(tmp_path):
    """'II. MILITARY ASPECTS' after paragraph 10 (ONUSAL S/1994/561) is a heading, though an
    old OCR's 'II.' could stand for 11: the real paragraph 11 follows it."""
    path = tmp_path / "r.txt"
    first = "".join(f"{n}. The Forum met again in month {n}.\n\n" for n in range(1, 11))
    path.write_text(
        "I. INTRODUCTION\n\n" + first + "II. MILITARY ASPECTS\n\nA. Organic structure\n\n"
        "11. On 1 May 1994, ONUSAL had a strength of 22 military observers.\n"
    )
    structure = parse(ingest(path))
    by_number = {p.number: p.text for p in structure.paragraphs}
    assert by_number[11].startswith("On 1 May 1994, ONUSAL had a strength of 22")
    assert any(s.title == "MILITARY ASPECTS" for s in structure.sections)
