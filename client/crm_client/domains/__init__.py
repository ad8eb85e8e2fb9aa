"""Custom screens of entities with a richer view than the generic ones (the customer 360°,
its duplicate check). Each module registers itself with ``crm_client.views.screens``."""
