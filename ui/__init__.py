"""Streamlit glue shared by app.py and the pages: engine, session, actor, sign-in.

Only this package and the page scripts import streamlit; lib/ never does.
"""
