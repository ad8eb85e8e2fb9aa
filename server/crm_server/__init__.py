"""The CRM server: FastAPI over SQLAlchemy, the only component that touches the database."""

__version__ = "0.1.0"
