"""Package list for setuptools: pyproject.toml has everything else.

The generated connectors are packages under generated/, installed as
connectory.connectors.<name>; they are listed here so that a new one needs no edit.
"""

from setuptools import find_packages, setup

CONNECTORS = [f"connectory.connectors.{name}" for name in find_packages("generated")]

setup(
    packages=[
        "connectory",
        "connectory.core",
        "connectory.generator",
        "connectory.templates",
        "connectory.connectors",
        *CONNECTORS,
    ]
)
