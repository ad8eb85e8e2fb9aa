"""Small reusable widgets: lookup combo, date edit with clear, tags edit, banners, editors."""
