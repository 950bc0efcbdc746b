"""The demo and benchmark workspaces (`build`): `python -m lib.demo --scale small|large`."""
