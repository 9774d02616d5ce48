"""Reading the evaluation workbook back: numbers and rows by kind."""

from decimal import Decimal as D

import sqlalchemy as sa


def number(cell_value) -> D | None:
    return None if cell_value is None else D(str(cell_value))


def rows_by_kind(ws, engine, plan_id):
    """(kind, kegiatan name, row) for every data row: goal / program / kegiatan / indicator / aksi."""
    with engine.connect() as conn:
        kegiatan = set(conn.execute(sa.text("SELECT name FROM kegiatan WHERE plan_id = :p"), {"p": plan_id}).scalars())
    current = None
    for row in ws.iter_rows(min_row=9):
        no, goal, name, indicator = (c.value for c in row[:4])
        if goal:
            kind = "goal"
        elif name in kegiatan:
            kind, current = "kegiatan", name
        elif no is not None:
            kind = "program"
        elif name and name[0].isdigit():
            kind = "aksi"
        elif indicator:
            kind = "indicator"
        else:
            kind = "footer"
        yield kind, current, row
