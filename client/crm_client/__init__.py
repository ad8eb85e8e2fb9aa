"""The CRM desktop client (PySide6).

Layers: ``api`` speaks HTTPS to the server (no Qt), ``core`` runs those calls off the GUI
thread and holds settings, translations and the change bus, ``models``/``views``/``domains``/
``widgets`` are the screens. The client never touches the database; the server decides.
"""

__version__ = "0.1.0"
