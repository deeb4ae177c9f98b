"""Every scenario of features/*.feature, bound to the steps in this folder."""

from pytest_bdd import scenarios

scenarios("collection.feature", "points.feature")
