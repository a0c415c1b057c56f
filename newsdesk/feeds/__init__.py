"""Feed configuration, polling schedule and feed document parsing."""
