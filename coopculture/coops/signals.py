"""Signals the coops app sends for the apps above it (which it may not import)."""

from django.dispatch import Signal

# Sent (sender=Coop, coop=the saved coop, fields=the changed field names) when a coop's
# profile or branding changed: what a coop prints or shows may need redoing.
coop_settings_changed = Signal()
