"""A message that survives the rerun after a successful action ("flash")."""
import streamlit as st

_KEY = "loupe_flash"


def flash(message: str) -> None:
    """Remember `message` to show as a success on the next run of this session."""
    st.session_state[_KEY] = message


def show_flash() -> None:
    """Show (once) the message left by the previous action, if any."""
    message = st.session_state.pop(_KEY, None)
    if message:
        st.success(message)
