"""The one AI client path, below every domain (issue 17, item 5).

- `client`: the OpenAI-compatible chat-completions client (the only `openai` import): timeout, retry, errors
- `prompts`: versioned prompt files from prompts/, rendered with named placeholders
- `metering`: credits per request, the derived credit balance and the budget check; `metered_call` is the
  only way a feature sends a request (reserve a credit -> call -> settle the usage row, or release it)

AI features sit beside or above the domain they serve and import this package, never the reverse:
`lib.orders.lines_ai` (order lines), `lib.ai.summaries` (product summary), `lib.ai.grounding`.
"""
