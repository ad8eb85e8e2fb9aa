"""HTTPS access to the CRM server: ``ApiClient`` (sync httpx, pinned private CA), trust on
first use and the client-side errors that have no wire form (unreachable, changed CA)."""
