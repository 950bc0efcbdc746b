"""The workspace itself: its settings, locations and users (with their sign-ins).

- `settings`: workspace settings admins change in the app (AI summaries, plan, default unit, ...)
- `locations`: the workshop's locations
- `users`: users, passwords, and the server-side record of each sign-in
"""
