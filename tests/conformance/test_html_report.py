"""``flowharness check --html``: every check, its requests and answers, and with ``--flow``
the screens those answers open, read back from the DOM headless Chromium renders."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.conformance import CHECK_IDS, check_endpoint
from harness.flowjson import load_flow
from harness.testing import run_server
from tests.support import broken_endpoints
from tests.support.browser import Elements, chromium  # noqa: F401 - the chromium fixture

FLOWHARNESS = str(Path(sys.executable).parent / "flowharness")
LEAD_FLOW = Path(__file__).parents[2] / "reference_server" / "flows" / "lead_capture.json"


def _check_html(
    url: str, key: Path, secret: str, token: str, page: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``flowharness check URL --html PAGE ...`` as a user runs it: its own process."""
    command = [
        FLOWHARNESS, "check", url + "/", "--public-key", str(key), "--flow-token", token,
        "--sample-request", json.dumps(broken_endpoints.sample_request()),
        "--html", str(page), *extra,
    ]  # fmt: skip
    environ = {"FLOWHARNESS_APP_SECRET": secret, "PATH": str(Path(sys.executable).parent)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=environ)


def _sections(dom: Elements) -> dict[str, str]:
    return {attrs["data-check"]: attrs["data-grade"] for attrs in dom.with_attr("data-check")}


def _section_tags(dom: Elements, check_id: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags inside one check's section (up to the next section)."""
    start = next(i for i, (_, a) in enumerate(dom.tags) if a.get("data-check") == check_id)
    end = next(
        (i for i, (t, a) in enumerate(dom.tags) if i > start and "data-check" in a),
        len(dom.tags),
    )
    return dom.tags[start:end]


def _screens_in(dom: Elements, check_id: str) -> list[str]:
    return [a["data-screen"] for _, a in _section_tags(dom, check_id) if "data-screen" in a]


@pytest.mark.slow  # a browser start per page
def test_check_html_with_the_flow_shows_every_check_and_the_screens_reached(
    reference: Any,
    public_pem_file: Path,
    app_secret: str,
    token: str,
    tmp_path: Path,
    chromium: Callable[..., str],  # noqa: F811 - the fixture imported above
) -> None:
    page = tmp_path / "report" / "check.html"
    with run_server(reference) as url:
        done = _check_html(url, public_pem_file, app_secret, token, page, "--flow", str(LEAD_FLOW))
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {page}" in done.stderr
    dom = Elements(chromium(page, "--dump-dom"))
    assert _sections(dom) == dict.fromkeys(CHECK_IDS, "pass")
    text = dom.joined_text()
    assert "CONFORMS" in text
    # INIT opens the lead form: the person sees LEAD, as the flow lays it out
    assert "LEAD" in _screens_in(dom, "flow-token.invalid")
    # the sample request is sent from CONFIRM and closes the flow: CONFIRM is shown
    assert _screens_in(dom, "idempotency.replay") == ["CONFIRM", "CONFIRM"]
    assert {"LEAD", "CONFIRM"} <= set(_screens_in(dom, "timing.latency"))
    assert _screens_in(dom, "signature.missing") == []  # a ping reaches no screen
    # requests are shown decrypted, answers too; the replay is opened with the first key
    assert '"action": "ping"' in text
    assert '"status": "active"' in text
    assert text.count('"lead_reference"') >= 2
    assert "the same bytes as an earlier request, resent" in text
    assert "opened with its key" in text


@pytest.mark.slow
def test_check_html_of_a_failing_endpoint_shows_the_finding_hint_and_raw_answer(
    private_key: Any,
    public_pem_file: Path,
    app_secret: str,
    token: str,
    tmp_path: Path,
    chromium: Callable[..., str],  # noqa: F811
) -> None:
    page = tmp_path / "check.html"
    broken = broken_endpoints.unflipped_iv(private_key, app_secret)
    with run_server(broken) as url:
        done = _check_html(url, public_pem_file, app_secret, token, page)
    assert done.returncode == 1, done.stderr[-3000:]
    dom = Elements(chromium(page, "--dump-dom"))
    grades = _sections(dom)
    assert grades["response.flipped-iv"] == "fail"
    assert grades["signature.missing"] == "pass"
    text = dom.joined_text()
    assert "DOES NOT CONFORM" in text
    assert "XOR 0xFF" in text  # the hint
    assert "not decryptable with the request's key: as received" in text
    assert "send the last request again (curl)" in text
    steps = [a.get("class", "") for _, a in _section_tags(dom, "response.flipped-iv")]
    assert any("step-bad" in cls for cls in steps)


def test_report_html_in_process_lists_each_exchange(
    reference: Any, check_options: dict[str, Any]
) -> None:
    report = check_endpoint(reference, **check_options)
    dom = Elements(report.to_html(load_flow(LEAD_FLOW)))
    assert list(_sections(dom)) == list(CHECK_IDS)
    for result in report.results:
        assert result.exchanges, f"{result.id} shows no request"
        tags = _section_tags(dom, result.id)
        steps = [a for _, a in tags if "step" in a.get("class", "").split()]
        assert len(steps) == len(result.exchanges)
        links = [a["href"] for t, a in tags if t == "a" and a.get("class") == "source"]
        assert links == [result.source.url], f"{result.id}: Meta's section is not linked"
    oversized = report["robust.oversized-body"].exchanges[0]
    assert len(oversized.request_body) > 1_000_000
    assert "more characters" in dom.joined_text()  # the 2 MB body is cut on the page


def test_flow_without_html_and_a_broken_flow_are_usage_errors(
    public_pem_file: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    base = ["check", "http://127.0.0.1:9/", "--public-key", str(public_pem_file)]
    alone = runner.invoke(
        main, [*base, "--flow", str(LEAD_FLOW)], env={"FLOWHARNESS_APP_SECRET": "s"}
    )
    assert alone.exit_code == 2
    assert "add --html FILE" in alone.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    bad = runner.invoke(
        main,
        [*base, "--flow", str(broken), "--html", str(tmp_path / "r.html")],
        env={"FLOWHARNESS_APP_SECRET": "s"},
    )
    assert bad.exit_code == 2
    assert "broken.json" in bad.output
    assert "Traceback" not in bad.output
