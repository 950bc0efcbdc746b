"""AI features: the LLM client (the only openai import), prompts, and product summaries.

- `llm`: one OpenAI-compatible chat-completions client
- `prompts`: versioned prompt files from prompts/, rendered with named placeholders
- `summaries`: the product summary: fact sheet, grounding check, storage and usage
"""
