"""Webhook routes; each module has `setup(web_app, app)`."""
