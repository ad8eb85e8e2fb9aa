"""Backups: encrypted archives of the database, the file store and the configuration."""
