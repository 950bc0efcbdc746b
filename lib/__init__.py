"""Loupe Factory domain code: plain Python, no Streamlit imports."""
