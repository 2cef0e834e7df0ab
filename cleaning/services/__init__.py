"""Writes of the data cleaning app. Import from the submodules:
`from cleaning.services.queries import query_raise`."""
