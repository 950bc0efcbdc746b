"""`python -m lib.cli labels`: item labels without the browser (a label printer on a shop PC).

    python -m lib.cli labels --tags TAG[,TAG...] | --product NAME [--layout barbell|thermal|a4|letter]
                             [--per-piece] [--as USERNAME] --out PATH

Same code path as the pages (`lib.documents.labels.label_pdf`) and the same scope: the labels are read as
the user named by --as (their role and locations). Without --as the workspace's first active admin is used,
as `rates` does. Whoever can run this command can read the database file or server anyway, so no password is
asked (docs/documents.md). The database is migrated first, like `init` and `serve`.
"""
from __future__ import annotations

import sys
from pathlib import Path


from lib import db
from lib.config import load_settings
from lib.documents import labels
from lib.errors import ConfigurationError, LoupeError, ValidationFailed
from lib.workspace.users import command_actor


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
    parser.set_defaults(run=run)


def run(args) -> int:
    """Print the labels; 0 on success, 2 with the problem on standard error (and no file written) otherwise."""
    settings = load_settings()
    engine = db.make_engine(settings.database_url)
    try:
        db.check_connection(engine)
        db.migrate(settings.database_url)
        return _print_labels(args, engine)
    except ValidationFailed as error:
        print("error: nothing was printed:", *error.problems, sep="\n  ", file=sys.stderr)
        return 2
    except LoupeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _print_labels(args, engine) -> int:
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ConfigurationError(f"Cannot write {out}: the folder {out.parent} does not exist.")
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
