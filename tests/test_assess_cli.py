"""``suqiu assess list|score``: paper questionnaires scored from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from suqiu_queue.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_names_the_seven_scales(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUQIU_SCL90_LICENSE", raising=False)
    monkeypatch.delenv("SUQIU_SCALES_DIR", raising=False)
    code, out, _ = run(capsys, "assess", "list")
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines()]
    assert ids == ["phq9", "gad7", "pss10", "sds", "sas", "k10", "who5"]
    assert "患者健康问卷抑郁量表" in out
    code, out, _ = run(capsys, "assess", "list", "--json")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ids and rows[0]["items"] == 10


def test_score_prints_the_paper_form_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", "score", "phq9", "--points", "0,0,0,0,0,0,0,0,1")
    assert code == 0
    assert json.loads(out) == {
        "scale": "phq9",
        "raw": 1,
        "standard": None,
        "band": "minimal",
        "band_label": "无或极轻微抑郁症状",
        "crisis": True,
    }


def test_score_takes_points_before_reversal(capsys: pytest.CaptureFixture[str]) -> None:
    # SDS with 1 ticked everywhere: 10 plain items × 1 + 10 reversed items × 4 = 50 → 62.
    code, out, _ = run(capsys, "assess", "score", "sds", "--points", ",".join(["1"] * 20))
    assert code == 0
    assert json.loads(out) == {
        "scale": "sds",
        "raw": 50,
        "standard": 62,
        "band": "mild",
        "band_label": "轻度抑郁症状",
        "crisis": False,
    }


def test_score_accepts_spaces_and_full_width_commas(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "assess", "score", "who5", "--points", "3， 2，2,1 ,4")
    assert code == 0
    assert json.loads(out)["standard"] == 48


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["assess", "score", "phq9", "--points", "0,0,3"], "需要 9 或 10 个答案"),
        (["assess", "score", "gad7", "--points", "0,0,0,0,0,0,4"], "第 7 题的分值 4 无效"),
        (["assess", "score", "bdi", "--points", "1"], "没有这个量表"),
        (["assess", "score", "scl90", "--points", "1"], "SUQIU_SCL90_LICENSE"),
    ],
)
def test_score_refusals_exit_2_with_a_chinese_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.delenv("SUQIU_SCL90_LICENSE", raising=False)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err


def test_points_that_are_not_numbers_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["assess", "score", "phq9", "--points", "a,b"])
    assert exit_info.value.code == 2
    assert "逗号分隔的整数" in capsys.readouterr().err


def test_scl90_appears_only_with_the_site_licence(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from domain.test_assessment import scl90_definition

    (tmp_path / "scl90.yaml").write_text(yaml.safe_dump(scl90_definition(), allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SUQIU_SCALES_DIR", str(tmp_path))
    monkeypatch.delenv("SUQIU_SCL90_LICENSE", raising=False)
    _, out, _ = run(capsys, "assess", "list")
    assert "scl90" not in out
    monkeypatch.setenv("SUQIU_SCL90_LICENSE", "合同 2026-118")
    _, out, _ = run(capsys, "assess", "list")
    assert out.splitlines()[-1].split()[0] == "scl90"
    code, out, _ = run(capsys, "assess", "score", "scl90", "--points", ",".join(["2"] * 90))
    result: dict[str, Any] = json.loads(out)
    assert code == 0 and (result["raw"], result["band"]) == (180, "positive")


def test_the_installed_command_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "suqiu_queue.cli", "assess", "score", "k10", "--points", "1,1,1,1,1,1,1,1,1,1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["band"] == "low"


def test_escalate_runs_one_pass_against_the_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from datetime import timedelta

    from sqlalchemy import select
    from support import seed_world

    from suqiu_queue.domain.assessment import score
    from suqiu_queue.server.assessments.models import CrisisAlert
    from suqiu_queue.server.assessments.service import catalog, store
    from suqiu_queue.server.db import make_engine, make_sessionmaker, utcnow
    from suqiu_queue.server.migrate import upgrade
    from suqiu_queue.server.org.models import Center

    url = f"sqlite:///{tmp_path / 'suqiu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        world = seed_world(session)
        phq9 = catalog().get("phq9")
        store(
            session,
            now=utcnow() - timedelta(minutes=10),
            scale=phq9,
            result=score(phq9, [0] * 8 + [2]),
            key=b"k" * 32,
            source="kiosk",
            actor="device:1",
            center=session.get(Center, world.center_id),
        )
    code, out, _ = run(capsys, "--database-url", url, "assess", "escalate", "--minutes", "5")
    assert code == 0 and "已上报 1 条" in out
    code, out, _ = run(capsys, "--database-url", url, "assess", "escalate", "--minutes", "5")
    assert "已上报 0 条" in out
    with sessions() as session:
        assert session.scalars(select(CrisisAlert)).one().escalated_at is not None
    engine.dispose()
