"""What users read cites Meta's documentation, which they can open, and nothing they lack.

The project's sources, the files the wheel ships and every report the conformance check
writes are searched for the name of a reference file that never leaves the development
machine; each check and each page the Flow JSON rules cite must come from the one table
of Meta sources (``harness._meta_docs``) with a URL.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import _meta_docs as meta_docs
from harness.cli import main
from harness.conformance import CHECKS, CheckResult, ConformanceReport, Grade
from harness.flowjson import _rule_table

ROOT = Path(__file__).parents[1]
INTERNAL_NOTES = "PROTOCOL" + ".md"  # spelt apart so this file does not match itself
SCANNED = ("harness", "mocks", "reference_server", "loadtests", "scenarios", "docs", "tests")
SCANNED_FILES = ("README.md", ".env.example", "pyproject.toml", "setup.py", "Makefile")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".html", ".sh"}


def _project_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for folder in SCANNED:
        files += [
            path
            for path in sorted((ROOT / folder).rglob("*"))
            if path.suffix in TEXT_SUFFIXES and path.is_file() and "__pycache__" not in path.parts
        ]
    return files


def test_no_project_file_cites_the_internal_reference_notes() -> None:
    files = _project_files()
    assert len(files) > 100, "the scan found too few files to mean anything"
    citing = [
        str(path.relative_to(ROOT))
        for path in files
        if path != Path(__file__) and INTERNAL_NOTES in path.read_text("utf-8", errors="replace")
    ]
    assert citing == [], f"cite Meta's documentation or docs/protocol.md instead: {citing}"


def test_check_list_cites_meta_for_every_check() -> None:
    result = CliRunner().invoke(main, ["check", "--list"])

    assert result.exit_code == 0
    assert INTERNAL_NOTES not in result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 * len(CHECKS)  # each check, then Meta's page on a line of its own
    sources = lines[1::2]
    assert all(line.strip().startswith("Meta: ") and "https://" in line for line in sources)


def _report(grade: Grade) -> ConformanceReport:
    """Every check graded ``grade``: no endpoint needed to render each report format."""
    report = ConformanceReport("https://endpoint.example/flows")
    for spec in CHECKS:
        report.results.append(CheckResult(spec.id, spec.title, spec.source, grade, "detail"))
    return report


@pytest.mark.parametrize("grade", [Grade.FAIL, Grade.WARN])
def test_every_report_names_meta_s_section_for_what_went_wrong(grade: Grade) -> None:
    report = _report(grade)
    text = report.to_text(width=400)
    page = report.to_html()  # a failure without recorded requests renders too
    checks = json.loads(report.to_json())["checks"]

    for shown in (text, report.to_json(), page):
        assert INTERNAL_NOTES not in shown
    for spec, entry in zip(CHECKS, checks, strict=True):
        assert entry["source"] == spec.source.to_dict()
        assert entry["section"] == spec.source.section
        assert spec.source.url in text, f"{spec.id}: the text report gives no URL"
        assert f'href="{spec.source.url}"' in page, f"{spec.id}: the page links no source"


def test_a_report_that_passes_lists_no_sources() -> None:
    text = _report(Grade.PASS).to_text(width=400)

    assert "Where Meta states it" not in text
    assert meta_docs.FLOWS_DOCS not in text


def test_the_flow_json_rules_cite_the_pages_of_the_same_table() -> None:
    pages = {
        _rule_table.FLOW_JSON: meta_docs.FLOW_JSON,
        _rule_table.COMPONENTS: meta_docs.COMPONENTS,
        _rule_table.MEDIA: meta_docs.MEDIA_UPLOAD,
        _rule_table.ENDPOINT: meta_docs.ENDPOINT_GUIDE,
        _rule_table.ERRORS: meta_docs.ERROR_CODES,
    }
    for cited, page in pages.items():
        assert cited == f"Meta, {page.title} ({page.url})"
        assert page.url.startswith(meta_docs.FLOWS_DOCS + "/")
    for code, rule in _rule_table.RULE_TABLE.items():
        if rule.source is not None and "Meta" in rule.source:
            assert "https://" in rule.source, f"{code} cites Meta without an address"


def test_the_protocol_notes_are_linked_and_cite_the_pages_of_the_table() -> None:
    notes = (ROOT / "docs" / "protocol.md").read_text("utf-8")
    assert "`docs/protocol.md`" in (ROOT / "README.md").read_text("utf-8")

    defined = dict(re.findall(r"^\[([\w-]+)\]: (\S+)$", notes, flags=re.MULTILINE))
    used = set(re.findall(r"\]\[([\w-]+)\]", notes))
    used |= set(re.findall(r"(?<![\]\w`])\[([\w-]+)\](?![\[(:])", notes))
    assert used - set(defined) == set(), "cited but never defined"
    assert set(defined) - used == set(), "defined but never cited"
    pages = {page.url for page in vars(meta_docs).values() if isinstance(page, meta_docs.MetaPage)}
    for label, url in defined.items():
        assert url.startswith("https://"), label
        if url.startswith(meta_docs.FLOWS_DOCS):
            assert url.partition("#")[0] in pages, f"{label}: {url} is not in the table"
