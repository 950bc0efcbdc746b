"""Paper: item labels (QR + Code 128), the scan box's reading of a tag, printable PDF documents.

Decisions are in docs/documents.md.
"""
