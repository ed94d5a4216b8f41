// The SQLite store (GRDB) lives here.
