"""Screens: the main window and its pages, sign-in, settings, and the generic entity list and
form every registered entity gets."""
