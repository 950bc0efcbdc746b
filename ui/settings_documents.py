"""Labels and documents on /settings (admins, Organization tab): the public address label QR codes point at,
and the letterhead of printed documents (address, footer note, logo). Saved through lib.workspace.settings,
audited there; the logo is checked by lib.images (PNG, JPEG or WebP, at most 5 MB)."""
from __future__ import annotations

import streamlit as st

from lib.access import Actor
from lib.images import UPLOAD_TYPES
from lib.models import Image
from lib.workspace.settings import (MAX_ADDRESS, MAX_FOOTER, MAX_PUBLIC_URL, SETTINGS, get_workspace, set_logo,
                                    update_settings)
from ui import context
from ui.feedback import run_action

_HELP = {spec.field: spec.help for spec in SETTINGS}


def render(actor: Actor) -> None:
    with context.db() as session:
        workspace = get_workspace(session)
        current = dict(url=workspace.public_base_url, address=workspace.org_address, footer=workspace.document_footer)
        logo = session.get(Image, workspace.logo_image_id) if workspace.logo_image_id else None
        logo_data = bytes(logo.data) if logo else None
    st.subheader("Labels and documents")
    with st.form("documents_settings_form"):
        url = st.text_input("Public address", value=current["url"], max_chars=MAX_PUBLIC_URL, key="doc_public_url",
                            placeholder="https://loupe.example.com", help=_HELP["public_base_url"])
        address = st.text_area("Organisation address", value=current["address"], key="doc_org_address",
                               max_chars=MAX_ADDRESS, help=_HELP["org_address"])
        footer = st.text_area("Document footer note", value=current["footer"], key="doc_footer",
                              max_chars=MAX_FOOTER, help=_HELP["document_footer"])
        if st.form_submit_button("Save", type="primary", key="doc_submit"):
            run_action("Labels and documents settings saved.", update_settings, public_base_url=url,
                       org_address=address, document_footer=footer)
    left, right = st.columns([1, 3])
    with left:
        if logo_data:
            st.image(logo_data, caption="Current logo", width=160)
        else:
            st.caption("No logo yet.")
    with right:
        upload = st.file_uploader("Logo (PNG, JPEG or WebP, at most 5 MB)", type=list(UPLOAD_TYPES), key="doc_logo",
                                  help=_HELP["logo_image_id"])
        buttons = st.columns(2)
        if buttons[0].button("Save logo", key="doc_logo_save", disabled=upload is None):
            run_action("Logo saved.", set_logo, data=upload.getvalue())
        if logo_data and buttons[1].button("Remove logo", key="doc_logo_remove"):
            run_action("Logo removed.", set_logo, data=None)
