"""The registry's foundations: database sessions and transactions, settings, errors, files, shared schema types."""
