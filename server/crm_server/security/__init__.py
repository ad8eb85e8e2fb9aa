"""Security: passwords, sessions, TLS and the single access choke point."""
