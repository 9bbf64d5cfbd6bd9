"""Reusable Streamlit widgets: the role guard, the one filters+table+export, the timeline, forms."""
