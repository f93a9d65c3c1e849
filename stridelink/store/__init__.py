"""The library on disk: SQLite database, archived originals, sample blobs, migrations, integrity checks."""
