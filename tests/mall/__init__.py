"""Tests of the 网上商城."""
