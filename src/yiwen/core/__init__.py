"""Settings, database, clock, errors, events and ids: no business logic lives here."""
