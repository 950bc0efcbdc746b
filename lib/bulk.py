"""Many-row INSERTs inside the caller's transaction, as fast as each database allows.

Used by the ledger's and the audit log's bulk writes (an import of thousands of
rows). On PostgreSQL with psycopg the rows are streamed with COPY, and the ids
a caller needs come from the table's own sequence in one statement first; on
SQLite one INSERT … RETURNING runs over the rows. Values go through the
column types' own bind processors, so they are stored exactly as an ordinary
insert would store them, and constant column defaults fill the columns the rows leave out. Every row must
have the same keys.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def _copies(session: Session) -> bool:
    dialect = session.get_bind().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def insert_rows(session: Session, table: Table, rows: Sequence[dict]) -> None:
    """Insert `rows` into `table` (COPY on PostgreSQL, executemany elsewhere)."""
    if not rows:
        return
    if not _copies(session):
        session.execute(insert(table), list(rows))
        return
    connection = session.connection()
    dialect = connection.dialect
    # COPY applies no Python-side defaults: fill the constant ones an ordinary INSERT would (a NOT NULL
    # column added later with `default=0` must not fail here only).
    defaults = {column.name: column.default.arg for column in table.columns
                if column.name not in rows[0] and column.default is not None and column.default.is_scalar}
    columns = [*rows[0], *defaults]
    convert = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
               for name in columns]
    quote = dialect.identifier_preparer
    sql = f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in columns)}) FROM STDIN"
    try:
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row([process(row[name] if name in row else defaults[name])
                                    for process, name in zip(convert, columns)])
    except dialect.loaded_dbapi.Error as error:  # the driver's own error: raise it as SQLAlchemy would
        raise DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error) from error


def insert_returning_ids(session: Session, table: Table, rows: Sequence[dict]) -> list[int]:
    """Insert `rows` into `table` (whose primary key is an integer `id`); their new ids, in order."""
    if not rows:
        return []
    if not _copies(session):
        return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)))
    ids = sorted(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                      "FROM generate_series(1, :count)"), {"table": table.name, "count": len(rows)}))
    insert_rows(session, table, [{"id": item_id, **row} for item_id, row in zip(ids, rows)])
    return ids
