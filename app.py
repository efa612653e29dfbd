"""Web UI for qa: ``python app.py [--docs seeds] [--index embeddings] [--port 7860]``.

Thin on purpose: the UI lives in ``qa/ui.py`` and answers through the same
``QA.ask()`` as the Python API and the CLI. ``python app.py --help`` lists the flags.
"""
import sys

from qa.ui import main

if __name__ == "__main__":
    sys.exit(main())
