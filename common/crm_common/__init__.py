"""Contracts shared by the CRM server and client: schemas, entity registry, cleansing, money.

Only the standard library, pydantic, pypinyin, and asn1crypto and cryptography (for
``authenticode``) may be imported here, so both sides (and a frozen client bundle) can use it
without pulling in Qt or SQLAlchemy.
"""

API_PREFIX = "/api/v1"
