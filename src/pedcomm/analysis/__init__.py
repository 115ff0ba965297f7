"""Reference implementation of the published analyses."""
