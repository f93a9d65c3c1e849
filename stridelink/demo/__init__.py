"""The demo: a running simulator that writes watch files, and the guided first run."""
