"""`rapk renstra KEGIATAN [--indicator N] [--target X] [--realised Y] [--clear]`: Renstra figures for the form.

The evaluation form's columns (6) and (7) (bot.domain.renstra): the Renstra target at the end of its
period and its realisation up to last year's Renja, in rupiah for a kegiatan, in K for its indicator
number N. Without a value, the stored figures are printed. Audited as «cli».
"""

import argparse
import sys
from decimal import Decimal

from bot.cli.common import one_kegiatan
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain import numbers
from bot.domain.period import served_plan
from bot.domain.renstra import RenstraError
from bot.domain.renstra import renstra_of
from bot.domain.renstra import set_renstra
from models import KegiatanIndicator


def add_arguments_renstra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kegiatan", help="kegiatan number in document order, or part of its name")
    parser.add_argument("--indicator", type=int, metavar="N", help="its indicator number N (K), not the kegiatan (Rp)")
    parser.add_argument("--target", metavar="X", help="the Renstra target at the end of its period: column (6)")
    parser.add_argument("--realised", metavar="Y", help="the Renstra realisation up to last year's Renja: column (7)")
    parser.add_argument("--clear", action="store_true", help="remove the figures")


def _value(text: str | None, *, money: bool) -> Decimal | None:
    if text is None:
        return None
    return Decimal(numbers.parse_money(text)) if money else numbers.parse_realised(text).value


def cmd_renstra(args: argparse.Namespace) -> int:
    settings = load_settings()
    setting = args.clear or args.target is not None or args.realised is not None
    if args.clear and (args.target is not None or args.realised is not None):
        print("rapk renstra: give --target/--realised or --clear, not both", file=sys.stderr)
        return 1
    try:
        target = _value(args.target, money=args.indicator is None)
        realised = _value(args.realised, money=args.indicator is None)
    except numbers.NumberFormatError as exc:
        print(f"rapk renstra: not a number: {exc.text[:40]!r}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with unit_of_work(engine) as session:
            plan = served_plan(session=session, settings=settings, now=SystemClock().now())
            if plan is None:
                print("rapk renstra: no plan imported yet (rapk import FILE)", file=sys.stderr)
                return 1
            kegiatan = one_kegiatan("renstra", plan.id, args.kegiatan, session=session)
            if kegiatan is None:
                return 1
            try:
                if setting:
                    set_renstra(kegiatan.id, indicator_seq=args.indicator, target=target, realised=realised,
                                session=session, actor_label="cli")
                by_kegiatan, by_indicator = renstra_of(plan.id, session=session)
                indicators = session.exec(KegiatanIndicator.__table__.select().where(
                    KegiatanIndicator.kegiatan_id == kegiatan.id).order_by(KegiatanIndicator.seq)).all()
                if args.indicator is not None and not 1 <= args.indicator <= len(indicators):
                    raise RenstraError(f"the kegiatan has {len(indicators)} indicator(s); no number {args.indicator}")
            except RenstraError as exc:
                session.rollback()
                print(f"rapk renstra: {exc}", file=sys.stderr)
                return 1
            lines = [f"Renstra of «{kegiatan.name}»: " + _shown(by_kegiatan.get(kegiatan.id), money=True)]
            lines += [f"  indicator {n}, {row.text}: " + _shown(by_indicator.get(row.id), money=False)
                      for n, row in enumerate(indicators, 1)]
    finally:
        engine.dispose()
    print("\n".join(lines))
    return 0


def _shown(figure, *, money: bool) -> str:
    if figure is None:
        return "none (columns (6), (7), (15), (16) blank)"

    def text(v):
        return "–" if v is None else (f"Rp{int(v):,}".replace(",", ".") if money else format(v.normalize(), "f"))

    return f"target (6) {text(figure.target)}, realised to last year (7) {text(figure.realised)}"
