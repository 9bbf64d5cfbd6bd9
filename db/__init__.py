"""Database layer: models, engine and session scope, migrations, periods of service, the data version."""
