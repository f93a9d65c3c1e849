"""File readers. Each format is a plugin registering a ``Reader`` through the ``register_readers`` hook."""
