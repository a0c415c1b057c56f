"""HTTP boundary: bounded fetches mapped onto the error taxonomy."""
