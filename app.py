"""Loupe Factory: the entry point. Page config, then the router (ui/router.py).

Nothing renders data before sign-in: until then every url path runs only the
sign-in form, so a deep link such as /product?id=3 shows just that form, and
after signing in the same address opens the real page.
"""
import streamlit as st

from ui import router

st.set_page_config(page_title="Loupe Factory", page_icon="💎", layout="wide")
router.run()
