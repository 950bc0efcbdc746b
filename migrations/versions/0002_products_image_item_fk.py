"""products.image_item_id gets its foreign key on PostgreSQL

0001 declares `fk_products_image_item` with use_alter inside op.create_table;
Alembic's create_table leaves such a constraint out on PostgreSQL (it is meant
to be added afterwards by ALTER TABLE, which 0001 never did), while SQLite got
it inline. Existing PostgreSQL databases therefore lack it; this adds it.
0001 is left as it is: deployed databases already ran it.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

NAME = "fk_products_image_item"


def _has_constraint() -> bool:
    foreign_keys = sa.inspect(op.get_bind()).get_foreign_keys("products")
    return any(fk["name"] == NAME or fk["constrained_columns"] == ["image_item_id"] for fk in foreign_keys)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite" or _has_constraint():
        return  # SQLite created it with the table in 0001
    op.create_foreign_key(NAME, "products", "inventory_items", ["image_item_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # it belongs to 0001's table there
    op.drop_constraint(NAME, "products", type_="foreignkey")
