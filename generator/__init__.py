"""The generator: vendor OpenAPI spec + connector.yaml -> typed connector package.

Not built yet (see the generator issue); the CLI's ``generate`` says so.
"""
