"""Entities with behaviour beyond generic CRUD, one module or package per domain."""
