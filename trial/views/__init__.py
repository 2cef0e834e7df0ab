"""Server-rendered pages of the trial app, one module per subdomain."""
