"""Rate Center (/rates): rate profiles, their prices over time, price sheets (ui/rate_center.py).

Admins manage profiles and prices; managers read and export; members get the page's refusal sentence
from the router (ui/navigation.py) and never reach this script.
"""
from ui import context, rate_center

rate_center.render(context.actor())
