"""Placeholder until the inventory page lands (being built in this session)."""
import streamlit as st

from ui import context

context.actor()
st.title("inventory")
