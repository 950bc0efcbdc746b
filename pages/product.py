"""Placeholder until the product page lands (being built in this session)."""
import streamlit as st

from ui import context

context.actor()
st.title("product")
