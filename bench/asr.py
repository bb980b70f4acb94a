"""Benchmark: offline speech recognition on the shared Mandarin recordings.

    .venv/bin/python bench/asr.py                       # Whisper base from the default model folder
    .venv/bin/python bench/asr.py --model-dir /opt/suqiu/models/whisper-small --repeat 2

Measures, with the kiosk's settings (faster-whisper, int8, 2 CPU threads, beam 5):

* model_mb — resident memory added by loading the model (and its warm-up decode);
* the first recognition after loading against the same recording decoded again: the warm-up
  during loading should leave no first-call penalty beyond the decode itself;
* rtf — decode seconds / audio seconds over all recordings (target < 0.5 here);
* cer — character errors / reference characters over the recordings with a published transcript.

Last line: ``rtf=N cer=N model_mb=N``. The machine's cores are shared: numbers vary by ±30 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, help="default: the installed whisper-base pack")
    parser.add_argument("--repeat", type=int, default=1, help="decode every recording this many times")
    args = parser.parse_args(argv)

    from support.speech import REFERENCES, SPEECH_DIR, all_recordings

    from suqiu_devices.asr.models import default_model_dir, missing_files
    from suqiu_devices.asr.text import character_errors
    from suqiu_devices.asr.whisper import FasterWhisperRecognizer
    from suqiu_devices.microphone import pcm

    recordings = all_recordings()
    if not recordings:
        print(f"no recordings in {SPEECH_DIR} (../shared is absent)", file=sys.stderr)
        return 2
    model_dir = args.model_dir or default_model_dir()
    if missing_files(model_dir):
        print(f"no model in {model_dir}: run `suqiu models install asr`", file=sys.stderr)
        return 2
    audio = {path.name: pcm.decode_to_pcm16(str(path)) for path in recordings}

    import faster_whisper  # noqa: F401  (imported before measuring, so model_mb is the model's share)

    before = rss_mb()
    started = time.perf_counter()
    recognizer = FasterWhisperRecognizer(model_dir)
    if not recognizer.wait_ready():
        print(f"model failed to load: {recognizer.state}", file=sys.stderr)
        return 1
    load_s = time.perf_counter() - started
    model_mb = rss_mb() - before
    print(f"model {model_dir.name}: loaded with warm-up in {load_s:.2f} s, +{model_mb:.0f} MB resident")

    probe = "asr_example_zh.wav" if "asr_example_zh.wav" in audio else next(iter(audio))
    timings = []
    for _ in range(2):
        t0 = time.perf_counter()
        recognizer.transcribe(audio[probe])
        timings.append(time.perf_counter() - t0)
    print(f"first recognition {timings[0]:.2f} s, same recording again {timings[1]:.2f} s ({probe})")

    decode_s = audio_s = 0.0
    errors = characters = 0
    print(f"{'recording':<22}{'audio s':>8}{'decode s':>10}{'rtf':>7}  transcript")
    for name, pcm16 in audio.items():
        seconds = pcm.seconds_of(pcm16)
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            text = recognizer.transcribe(pcm16)
            spent = time.perf_counter() - t0
            decode_s += spent
            audio_s += seconds
        line = f"{name:<22}{seconds:>8.1f}{spent:>10.2f}{spent / seconds:>7.2f}  {text}"
        if name in REFERENCES:
            reference = REFERENCES[name][0]
            wrong = character_errors(text, reference)
            errors += wrong
            characters += len(reference)
            line += f"   [{wrong}/{len(reference)} wrong]"
        print(line)
    rtf = decode_s / audio_s
    cer = errors / characters if characters else float("nan")
    print(f"CER over {characters} characters of published transcripts; RTF over {audio_s:.0f} s of audio")
    print(f"rtf={rtf:.3f} cer={cer:.3f} model_mb={model_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
