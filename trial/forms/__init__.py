"""HTML forms of the trial app, one module per subdomain."""
