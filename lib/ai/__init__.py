"""AI features above the domains: the product summary and its claim-level grounding check.

- `summaries`: the product summary: fact sheet, storage and usage
- `grounding`: claim-level check of a reply against the fact sheet (subject, measure, window, unit)

The client, prompts and credit metering they use live below the domains in `lib.llm`.
"""
