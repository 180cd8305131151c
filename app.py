"""`python app.py [--host H] [--port P]`: the web UI, exactly `tutor serve` (settings from TUTOR_* variables;
binds 127.0.0.1 unless told otherwise; Gradio analytics off)."""
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tutor.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
