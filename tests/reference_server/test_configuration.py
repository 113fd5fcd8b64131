"""Settings as operators set them: environment and env file, every problem at once, no secret."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from harness import crypto
from harness.cli import main
from harness.client import FlowClient, Outcome
from reference_server import Settings
from reference_server._configuration import (
    SERVE,
    TOKENS,
    WORKER,
    SettingsProblems,
    env_example,
    example_for,
    load_settings,
    variable_for,
)

SERVE_VARIABLES = (
    "FLOWHARNESS_PRIVATE_KEY_FILES",
    "FLOWHARNESS_APP_SECRETS",
    "FLOWHARNESS_FLOW_TOKEN_SECRETS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FLOWHARNESS_* setting from the outside, and a current directory without .env."""
    for name in list(os.environ):
        if name.startswith("FLOWHARNESS_") or name == "REDIS_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def key_file(tmp_path: Path, private_key: object) -> Path:
    path = tmp_path / "private.pem"
    path.write_bytes(crypto.private_key_pem(private_key))  # type: ignore[arg-type]
    return path


def variables(problems: SettingsProblems) -> list[str]:
    return [problem.variable for problem in problems.problems]


def test_every_missing_setting_is_named_at_once_with_an_example() -> None:
    with pytest.raises(SettingsProblems) as caught:
        load_settings(needs=SERVE + WORKER)
    assert variables(caught.value) == [*SERVE_VARIABLES, "FLOWHARNESS_HUBSPOT_TOKEN"]
    for problem in caught.value.problems:
        assert problem.example, problem
    text = str(caught.value)
    assert text.startswith("4 settings to fix:")
    assert 'e.g. FLOWHARNESS_APP_SECRETS=["change-me-app-secret"]' in text


def test_malformed_and_missing_settings_are_reported_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOWHARNESS_FLOW_TOKEN_SECRETS", "abc-secret-value")
    monkeypatch.setenv("FLOWHARNESS_SMTP_PORT", "twenty-five")
    monkeypatch.setenv("FLOWHARNESS_DEFAULT_REGION", "USA")
    with pytest.raises(SettingsProblems) as caught:
        load_settings(needs=SERVE)
    found = {problem.variable: problem.message for problem in caught.value.problems}
    assert set(found) == {
        "FLOWHARNESS_FLOW_TOKEN_SECRETS",
        "FLOWHARNESS_SMTP_PORT",
        "FLOWHARNESS_DEFAULT_REGION",
        "FLOWHARNESS_PRIVATE_KEY_FILES",
        "FLOWHARNESS_APP_SECRETS",
    }
    assert "not JSON" in found["FLOWHARNESS_FLOW_TOKEN_SECRETS"]
    assert "integer" in found["FLOWHARNESS_SMTP_PORT"]
    assert "abc-secret-value" not in str(caught.value)  # secrets are never echoed


def test_an_item_of_a_list_is_located(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWHARNESS_ALERT_EMAIL_TO", json.dumps(["ops@example.com", 7]))
    monkeypatch.setenv("FLOWHARNESS_SUPPORTED_VERSIONS", '{"not": "a list"}')
    with pytest.raises(SettingsProblems) as caught:
        load_settings()
    found = {problem.variable: problem.message for problem in caught.value.problems}
    assert found["FLOWHARNESS_ALERT_EMAIL_TO"].startswith("item 1:")
    assert "list" in found["FLOWHARNESS_SUPPORTED_VERSIONS"]


def test_settings_come_from_an_env_file_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key_file: Path
) -> None:
    (tmp_path / ".env").write_text(
        f'FLOWHARNESS_PRIVATE_KEY_FILES=["{key_file}"]\n'
        'FLOWHARNESS_APP_SECRETS=["from-file"]\n'
        'FLOWHARNESS_FLOW_TOKEN_SECRETS=["token-from-file"]\n'
        "UNRELATED=ignored\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FLOWHARNESS_APP_SECRETS", '["from-environment"]')
    settings = load_settings(needs=SERVE)  # ./.env by default
    assert settings.app_secret_values() == ["from-environment"]
    assert settings.flow_token_secret_values() == ["token-from-file"]
    other = tmp_path / "staging.env"
    other.write_text('FLOWHARNESS_FLOW_TOKEN_SECRETS=["other"]\n', encoding="utf-8")
    assert load_settings(other).flow_token_secret_values() == ["other"]


def test_overrides_win_and_unparsed_kwargs_still_work() -> None:
    settings = load_settings(app_secrets=[SecretStr("given")], supported_versions='["3.0"]')
    assert settings.app_secret_values() == ["given"]
    assert settings.supported_versions == ["3.0"]
    assert Settings(alert_email_to=["a@example.com"]).alert_email_to == ["a@example.com"]


def test_unusable_keys_are_a_setting_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key", encoding="utf-8")
    with pytest.raises(SettingsProblems) as caught:
        load_settings(
            private_key_files=[bad], app_secrets=[SecretStr("s")], needs=SERVE
        )  # fmt: skip
    assert variables(caught.value)[0] == "FLOWHARNESS_PRIVATE_KEY_FILES"
    assert "cannot be used" in caught.value.problems[0].message


def test_tokens_need_only_the_token_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsProblems) as caught:
        load_settings(needs=TOKENS)
    assert variables(caught.value) == ["FLOWHARNESS_FLOW_TOKEN_SECRETS"]


def test_every_field_has_a_variable_and_an_example() -> None:
    # a field added later is covered without touching the report code
    for name in Settings.model_fields:
        variable = variable_for(name)
        assert variable.startswith("FLOWHARNESS_"), name
        assert example_for(variable) is not None, variable
    assert variable_for("redis_url") == "FLOWHARNESS_REDIS_URL"
    assert example_for("FLOWHARNESS_REDIS_URL") == "redis://localhost:6379/0"


def test_the_annotated_example_names_every_setting() -> None:
    text = env_example()
    missing = [
        variable_for(name) for name in Settings.model_fields if variable_for(name) not in text
    ]
    assert not missing


# -- the commands --------------------------------------------------------------------------


def test_serve_without_settings_explains_all_of_them_without_a_traceback() -> None:
    result = CliRunner().invoke(main, ["serve", "--with-worker"])
    assert result.exit_code == 1
    for variable in (*SERVE_VARIABLES, "FLOWHARNESS_HUBSPOT_TOKEN"):
        assert variable in result.output
    assert "4 settings to fix first" in result.output
    assert "flowharness serve --print-env > .env" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_serve_reads_the_env_file_it_is_given(tmp_path: Path) -> None:
    env_file = tmp_path / "serve.env"
    env_file.write_text("FLOWHARNESS_APP_SECRETS=not-json\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--env-file", str(env_file)])
    assert result.exit_code == 1
    assert "FLOWHARNESS_APP_SECRETS: is not JSON" in result.output
    assert f"or in {env_file}" in result.output


def test_serve_print_env_writes_the_annotated_example() -> None:
    result = CliRunner().invoke(main, ["serve", "--print-env"])
    assert result.exit_code == 0
    assert result.output == env_example()


def test_token_issue_names_the_flow_id_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWHARNESS_FLOW_TOKEN_SECRETS", '["s"]')
    result = CliRunner().invoke(main, ["token", "issue", "--phone", "+14155552671"])
    assert result.exit_code == 2
    assert "--flow-id" in result.output
    assert "FLOWHARNESS_DEFAULT_FLOW_ID" in result.output


def test_a_malformed_token_secret_list_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWHARNESS_FLOW_TOKEN_SECRETS", "abc")
    result = CliRunner().invoke(main, ["token", "issue", "--phone", "+1415", "--flow-id", "1"])
    assert result.exit_code == 1
    assert "FLOWHARNESS_FLOW_TOKEN_SECRETS: is not JSON" in result.output
    assert 'e.g. FLOWHARNESS_FLOW_TOKEN_SECRETS=["change-me-token-secret"]' in result.output
    assert "EnvSettingsSource" not in result.output


@pytest.mark.slow
def test_serve_reads_dot_env_and_says_where_it_listens(
    tmp_path: Path, key_file: Path, public_pem: bytes, app_secret: str
) -> None:
    (tmp_path / ".env").write_text(
        f'FLOWHARNESS_PRIVATE_KEY_FILES=["{key_file}"]\n'
        f'FLOWHARNESS_APP_SECRETS=["{app_secret}"]\n'
        'FLOWHARNESS_FLOW_TOKEN_SECRETS=["token-secret"]\n',
        encoding="utf-8",
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FLOWHARNESS_")}
    command = [str(Path(sys.executable).parent / "flowharness"), "serve", "--port", "0"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()  # blocks until the line (or exit)
        match = re.search(r"listening on (http://127\.0\.0\.1:(\d+)/)", line)
        assert match, line + (process.stderr.read().decode() if process.poll() is not None else "")
        assert int(match.group(2)) > 0
        with FlowClient(match.group(1), public_key=public_pem, app_secret=app_secret) as client:
            result = client.ping()
        assert result.outcome is Outcome.OK
    finally:
        process.terminate()
        process.wait(timeout=15)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
