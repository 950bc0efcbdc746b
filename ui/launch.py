"""Start the Streamlit server for app.py with Streamlit's legacy pages-folder mode off.

Streamlit treats a `pages/` folder beside the entry script as its old
multipage mode until the first `st.navigation` call of the process: the very
first request would run a page script directly, or draw the app twice.
Setting the flag before the server starts means every run goes through
app.py's router from the first request on. `make run` and the browser tests
start the server this way: `python -m ui.launch [streamlit run options]`.
"""
import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def main() -> None:
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", APP, *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
