from tests.store.dujiaoka.fixtures import dujiaoka, dujiaoka_shop  # noqa: F401
