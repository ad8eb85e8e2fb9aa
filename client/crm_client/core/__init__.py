"""Client machinery under the screens: the task runner (network calls off the GUI thread),
the change bus, settings declared once, translations, icons and the app context."""
