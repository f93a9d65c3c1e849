"""Run signals: what a run's samples say about the load on the ankles."""
