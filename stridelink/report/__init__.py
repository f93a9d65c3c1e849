"""The HTML training report."""
