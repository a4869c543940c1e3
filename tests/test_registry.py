"""The optimizer registry: one table of names feeds make_optimizer, the option check and auto."""

from __future__ import annotations

import pytest

from silica_explorer.optimize import OPTIMIZERS, SearchSpace, make_optimizer
from silica_explorer.optimize.auto import auto_optimizer
from silica_explorer.optimize.registry import ALIASES, REGISTRY, allowed_options, canonical_name
from silica_explorer.optimize.validation import check_fit_inputs


@pytest.fixture(scope="module")
def space():
    return SearchSpace(["q_Si", "A_SiO"], base="BKS")


def test_names_and_aliases(space):
    assert OPTIMIZERS == ("bo", "cg", "random", "bo+cg", "turbo", "turbo+cg", "composite")
    assert ALIASES == {"bocg": "bo+cg", "bo-cg": "bo+cg"}
    for alias, name in ALIASES.items():
        assert canonical_name(alias) == name
        assert type(make_optimizer(alias, space)) is type(make_optimizer(name, space))
        assert allowed_options(alias) == allowed_options(name)
    with pytest.raises(ValueError, match=r"unknown optimizer 'nope'; choose from \['bo', 'cg'"):
        make_optimizer("nope", space)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_name_builds_and_its_options_are_its_constructors(name, space):
    opt = make_optimizer(name, space, random_state=3)
    assert opt.name == name
    allowed = allowed_options(name)
    assert "space" not in allowed and "random_state" not in allowed
    check_fit_inputs(space, name, 5, options={})
    with pytest.raises(ValueError, match="unknown option"):
        check_fit_inputs(space, name, 5, options={"not_an_option": 1})


def test_turbo_cg_fixes_its_first_stage(space):
    assert "first" in allowed_options("bo+cg") and "first" not in allowed_options("turbo+cg")
    assert make_optimizer("turbo+cg", space).bo.name == "turbo"
    assert "failure_policy" in allowed_options("bo")


@pytest.mark.parametrize("dim,has_pdfs,scalar", [(1, True, False), (2, False, False), (4, True, True), (5, True, False),
                                                 (9, False, False)])
def test_auto_picks_registry_names(dim, has_pdfs, scalar):
    name, _ = auto_optimizer(dim, has_pdfs, scalar)
    assert name in REGISTRY
