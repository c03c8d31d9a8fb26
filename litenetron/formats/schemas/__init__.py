"""Schema tables (field numbers, names, types) for the binary formats, written from public schemas."""
