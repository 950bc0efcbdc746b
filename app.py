"""Loupe Factory: the router. Page config, sign-in gate, sidebar, navigation.

Nothing renders data before sign-in: until then the only page registered is
the sign-in form, so a deep link such as /product?id=3 shows just that form.
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
        st.navigation([st.Page(_sign_in_page, title="Sign in", url_path="signin", default=True)],
                      position="hidden")
        st.stop()
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
