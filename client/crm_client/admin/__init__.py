"""The admin console: roles and their permission matrix, sign-in sessions, the audit log and
the security policy (``console.console_pages`` lists them for the main window)."""
