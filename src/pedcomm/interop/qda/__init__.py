"""REFI-QDA: codebooks (.qdc) and projects (.qdpx) read from and written for QDA software."""
