"""Generic machinery every registered entity gets: binding, paging, filtering, CRUD, routes."""
