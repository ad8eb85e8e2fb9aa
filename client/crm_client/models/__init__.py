"""Qt item models: they hold rows the views asked the server for; they never fetch themselves."""
