import subprocess
import sys

FORBIDDEN = ("pipeline", "flows", "coach_api", "prefect", "fastapi", "faster_whisper")


def test_feature_math_imports_no_pipeline_or_service_code():
    modules = ["signal", "binarize", "intervals", "loudness", "pitch", "bleed", "turns", "raised",
               "effort"]
    script = "; ".join([f"import audio_features.{name}" for name in modules] + [
        "import sys",
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r})))"])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
