"""Loupe Factory: the router. Page config, sign-in gate, sidebar, navigation.

Nothing renders data before sign-in: until then every url path runs only the
sign-in form, so a deep link such as /product?id=3 shows just that form, and
after signing in the same address opens the real page.
"""
import streamlit as st

from lib.errors import ConfigurationError
from ui import auth, context, navigation, sidebar

st.set_page_config(page_title="Loupe Factory", page_icon="💎", layout="wide")


def _sign_in_page() -> None:
    """Placeholder page while signed out; the form itself is drawn by ui.auth."""


def main() -> None:
    try:
        context.settings()
        context.engine()
    except ConfigurationError as error:
        st.error(f"Loupe Factory cannot start: {error}")
        st.stop()
    actor = auth.signed_in_actor()
    if actor is None:
        st.session_state.pop(context.ACTOR_KEY, None)
        # Every known url path leads to the sign-in form (and nothing else), so a
        # deep link keeps its address and opens the real page once signed in.
        st.navigation([st.Page(_sign_in_page, title="Sign in", url_path=spec.url_path or None,
                               default=spec.url_path == "")
                       for spec in navigation.PAGES], position="hidden").run()
        return
    st.session_state[context.ACTOR_KEY] = actor
    specs = navigation.pages_for(actor)
    pages = {spec: st.Page(str(navigation.PAGES_DIR / spec.file), title=spec.title, icon=spec.icon,
                           url_path=spec.url_path or None, default=spec.url_path == "",
                           visibility="visible" if spec.in_menu else "hidden")
             for spec in specs}
    current = st.navigation(list(pages.values()), position="hidden")
    sidebar.render(actor, [page for spec, page in pages.items() if spec.in_menu])
    current.run()


main()
