"""The rules of the app: pure Python on a SQLAlchemy Session, no Streamlit import."""
