"""DRF API views of the trial app, one module per subdomain."""
