"""Pages of the registry. Views talk HTTP; reads go through registry.selectors and writes through
registry.services."""
