"""`python -m lib.cli labels` and `document`: item labels and printed documents without the browser (a label
printer on a shop PC, a script that files every confirmation).

    python -m lib.cli labels --tags TAG[,TAG...] | --product NAME [--layout barbell|thermal|a4|letter]
                             [--per-piece] [--as USERNAME] --out PATH
    python -m lib.cli document confirmation|pick-list|packing-slip|purchase-order|envelope NUMBER
                               [--shipment N] [--as USERNAME] --out PATH

Same code paths as the pages (`lib.documents.labels.label_pdf`, `lib.documents.printed`) and the same scope:
everything is read as the user named by --as (their role and locations). Without --as the workspace's first active admin is used,
as `rates` does. Whoever can run this command can read the database file or server anyway, so no password is
asked (docs/documents.md). The database is migrated first, like `init` and `serve`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from lib import db
from lib.config import load_settings
from lib.documents import labels, printed
from lib.errors import ConfigurationError, LoupeError, NotFound, ValidationFailed
from lib.models import Order, ProductionJob
from lib.workspace.users import command_actor

DOCUMENTS = {"confirmation": printed.order_confirmation, "pick-list": printed.pick_list,
             "packing-slip": printed.packing_slip, "purchase-order": printed.purchase_order,
             "envelope": printed.job_envelope}
"""The `document` command's kinds: every printed document but the envelope takes an order number."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("labels", help="print item labels (QR + Code 128) to a PDF file")
    chosen = parser.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--tags", help="comma-separated tag IDs")
    chosen.add_argument("--product", help="every held item of this product (its full name)")
    parser.add_argument("--layout", default=labels.DEFAULT_LAYOUT,
                        help=f"label layout: {', '.join(labels.LAYOUTS)} (default {labels.DEFAULT_LAYOUT})")
    parser.add_argument("--per-piece", action="store_true", help="one label per piece instead of one per item")
    parser.add_argument("--as", dest="username", help="print as this user, with their scope (default: the first active admin)")
    parser.add_argument("--out", required=True, help="the PDF file to write")
    parser.set_defaults(run=run, make=_print_labels)
    document = subparsers.add_parser("document", help="print an order's or a job's document to a PDF file")
    document.add_argument("kind", choices=list(DOCUMENTS), help="which document")
    document.add_argument("number", help="the order number (SO-0012, PO-0003) or, for an envelope, the job ID")
    document.add_argument("--shipment", type=int, default=1,
                          help="packing slip: which shipment of the order, 1 = the first (default 1)")
    document.add_argument("--as", dest="username", help="print as this user, with their scope "
                          "(default: the first active admin)")
    document.add_argument("--out", required=True, help="the PDF file to write")
    document.set_defaults(run=run, make=_print_document)


def run(args) -> int:
    """Print; 0 on success, 2 with the problem on standard error (and no file written) otherwise."""
    settings = load_settings()
    engine = db.make_engine(settings.database_url)
    try:
        db.check_connection(engine)
        db.migrate(settings.database_url)
        return args.make(args, engine)
    except ValidationFailed as error:
        print("error: nothing was printed:", *error.problems, sep="\n  ", file=sys.stderr)
        return 2
    except LoupeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _writable(path: str) -> Path:
    out = Path(path)
    if not out.parent.is_dir():
        raise ConfigurationError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    return out


def _print_labels(args, engine) -> int:
    out = _writable(args.out)
    tags = [part for part in (args.tags or "").split(",") if part.strip()]
    if args.tags is not None and not tags:
        raise ValidationFailed("Nothing to print: --tags names no tag.")
    with db.session_scope(engine) as session:
        actor = command_actor(session, args.username)
        made = labels.label_pdf(session, actor=actor, layout_name=args.layout, tags=tags, product=args.product,
                                per_piece=args.per_piece)
    out.write_bytes(made.data)
    print(f"{made.count} label{'s' if made.count != 1 else ''} for {made.items} item{'s' if made.items != 1 else ''} "
          f"written to {out} ({args.layout}).")
    return 0


def _print_document(args, engine) -> int:
    out = _writable(args.out)
    number = args.number.strip()
    is_job = args.kind == "envelope"
    missing = f"No {'job' if is_job else 'order'} {number} in your view."  # the same words when out of scope
    with db.session_scope(engine) as session:
        actor = command_actor(session, args.username)
        model = ProductionJob if is_job else Order
        found = session.scalar(select(model.id).where(model.number == number))
        if found is None:
            raise NotFound(missing)
        make = DOCUMENTS[args.kind]
        options = {"shipment": args.shipment} if args.kind == "packing-slip" else {}
        try:
            made = make(session, actor=actor, **({"job_id": found} if is_job else {"order_id": found}), **options)
        except NotFound:
            raise NotFound(missing) from None
    out.write_bytes(made.data)
    print(f"{made.title} written to {out}.")
    return 0
