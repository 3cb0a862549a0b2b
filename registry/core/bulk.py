"""Many rows into one table at once: the audit log's entries and a roster's new people and guardians.

SQLAlchemy's executemany handles every value of every row in Python (a dict of parameters per row, each
column's bind processor). Here the rows go to the driver as tuples: the columns whose type converts a value
(a date or a time on SQLite, an aware time made UTC) are converted with that same processor, once per
distinct value in a run of equal ones, so a row reads back exactly as if SQLAlchemy had written it. Text a
JSON column is to hold is passed already serialised. On PostgreSQL a batch of rows goes by COPY, which the
server takes in one stream instead of statement by statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Connection

COPY_FROM = 20  # rows; fewer go as one executemany (COPY takes a second round trip)


def converter(connection: Connection, column: Column[Any]) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value of this column before handing it to the driver; None: nothing."""
    dialect = connection.dialect
    process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process


def driver_rows(connection: Connection, table: Table, columns: Sequence[str], rows: list[list[Any]]) -> None:
    """Converts, in place, the values of ``rows`` (in ``columns`` order) that the columns' types convert."""
    for index, name in enumerate(columns):
        process = converter(connection, table.c[name])
        if process is None:
            continue
        last: Any = object()
        converted: Any = None
        for row in rows:
            value = row[index]
            if value is not last:  # the same object (a batch's one timestamp, None) is converted once
                last, converted = value, process(value)
            row[index] = converted


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Inserts rows whose values are in the driver's form already (see ``driver_rows``), in this transaction."""
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    target = connection.dialect.identifier_preparer.format_table(table)
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {target} ({names}) VALUES ({', '.join([marker] * len(columns))})"
    connection.exec_driver_sql(statement, [tuple(row) for row in rows])
