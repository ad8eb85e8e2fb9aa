"""Wire contracts, one module per entity: ``XCreate``, ``XUpdate``, ``XRead``; plus ``Page``."""
