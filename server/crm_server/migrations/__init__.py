"""Alembic migrations. Run through ``crm_server.db.migrate``, never ``create_all``."""
