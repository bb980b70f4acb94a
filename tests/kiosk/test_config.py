"""Settings from the file `suqiu device add --write-config` writes, overridden by the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from suqiu_kiosk.app import build_parser, config_from_args
from suqiu_kiosk.config import ConfigError, load


def _device_file(tmp_path: Path, extra: str = "") -> Path:
    # The exact layout cmd_device_add writes.
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[device]\nserver = "http://10.0.0.5:8000"\nkey = "k-123"\ncenter = "HQ"\nkind = "kiosk"\n' + extra,
        encoding="utf-8",
    )
    return path


def test_the_device_file_gives_server_key_and_center(tmp_path: Path) -> None:
    config = load(_device_file(tmp_path))
    assert (config.server, config.device_key, config.center) == ("http://10.0.0.5:8000", "k-123", "HQ")
    assert config.device("printer").driver == "fake" and config.idle_seconds == 60


def test_the_command_line_wins_and_tables_choose_drivers(tmp_path: Path) -> None:
    path = _device_file(
        tmp_path,
        '[kiosk]\ndevices = "real"\nidle_seconds = 45\n[printer]\ndriver = "escpos_network"\nhost = "10.0.0.9"\n',
    )
    args = build_parser().parse_args(["--config", str(path), "--server", "http://127.0.0.1:9000/", "--lang", "en"])
    config = config_from_args(args)
    assert config.server == "http://127.0.0.1:9000" and config.language == "en"
    assert config.idle_seconds == 45
    assert config.device("printer").driver == "escpos_network"
    assert config.device("printer").options == {"host": "10.0.0.9"}
    assert config.device("speaker").driver == "pyttsx3"


def test_no_key_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="device-key"):
        load(empty)
    with pytest.raises(ConfigError):
        load(tmp_path / "missing.toml")


def test_the_assessment_table_is_read_and_a_typo_in_it_is_an_error(tmp_path: Path) -> None:
    config = load(_device_file(tmp_path))
    assert config.assessment.enabled and config.assessment.national_hotline == "12356"

    path = _device_file(
        tmp_path,
        '[assessment]\nenabled = false\ncounselor_on_duty = "王老师"\nlocal_hotline = "0571-85029595"\n'
        "idle_seconds = 120\n",
    )
    config = load(path)
    assert not config.assessment.enabled
    assert config.assessment.counselor_on_duty == "王老师" and config.assessment.local_hotline == "0571-85029595"
    assert config.assessment.idle_seconds == 120.0

    typo = _device_file(tmp_path, '[assessment]\ncounsellor_on_duty = "王老师"\n')
    with pytest.raises(ConfigError, match="counsellor_on_duty"):
        load(typo)
