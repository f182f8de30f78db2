from __future__ import annotations

import re
from pathlib import Path

import pytest

from crisis.exceptions import SettingsError
from crisis.settings import SETTINGS, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme_table() -> None:
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`(CRISIS_[A-Z_]+)`", text, flags=re.MULTILINE))
    declared = {s.env for s in SETTINGS}
    assert declared - documented == set(), "undocumented settings"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8000
    assert settings.effective_database_url == "sqlite:///var/crisis.db"
    assert settings.open_registration is False


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "CRISIS_PORT": "9000",
            "CRISIS_OPEN_REGISTRATION": "yes",
            "CRISIS_DEFAULT_LANGUAGE": "EL",
            "CRISIS_DATABASE_URL": "postgresql://u:p@db/crisis",
        }
    )
    assert (settings.port, settings.open_registration, settings.default_language) == (
        9000,
        True,
        "el",
    )
    assert settings.effective_database_url == "postgresql://u:p@db/crisis"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CRISIS_PORT", "eighty"),
        ("CRISIS_PORT", "70000"),
        ("CRISIS_OPEN_REGISTRATION", "maybe"),
        ("CRISIS_DEFAULT_LANGUAGE", "fr"),
        ("CRISIS_DATABASE_URL", "mysql://x"),
        ("CRISIS_SECRET_KEY", "short"),
        ("CRISIS_WORKERS", "0"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({variable: value})
    message = str(info.value)
    assert message.startswith(f"{variable}={value!r}")
    assert "\n" not in message


def test_generated_secret_is_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).with_secret()
    second = Settings(data_dir=tmp_path).with_secret()
    assert first.secret_key and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
