"""Bad fit input fails before any evaluation, with a message naming the field and its allowed range.

Every case runs :func:`fit` with an evaluator that raises if it is ever called, and with a store, which
must not register the run either."""

import pytest

from silica_explorer.forcefield import ForceField
from silica_explorer.parameters import ParameterError
from silica_explorer.optimize import SearchSpace, fit
from silica_explorer.optimize.validation import check_start
from silica_explorer.optimize.cg import ConjugateGradient
from silica_explorer.store import Store


class NeverCalled:
    """An evaluator that must not run: any call fails the test."""

    def __call__(self, forcefield, seed=0):
        raise AssertionError(f"evaluator called for {forcefield.name} before the inputs were checked")

    def cache_identity(self):
        return {"fidelity": None, "reference": "none (test)"}


SPACE_CASES = [
    # (kwargs of SearchSpace, words the message must contain)
    ({"free": "q_Si,foo"}, ["unknown free parameter", "foo", "A_SiO"]),
    ({"free": "q_Si,A_SiO,q_Si"}, ["duplicate free", "q_Si"]),
    ({"free": ""}, ["no free parameters", "q_Si"]),
    ({"free": []}, ["no free parameters"]),
    ({"free": "q_Si", "bounds": {"A_SiO": (1e4, 2e4)}}, ["A_SiO", "not free", "q_Si"]),
    ({"free": "q_Si", "bounds": "q_Si=2.2:2.0"}, ["q_Si", "low", "high", "(0, 4]"]),
    ({"free": "q_Si", "bounds": {"q_Si": (2.0, 2.0)}}, ["q_Si", "low", "high"]),
    ({"free": "q_Si", "bounds": {"q_Si": (1.0, 4.5)}}, ["q_Si", "allowed range (0, 4] e"]),
    ({"free": "q_Si", "bounds": {"q_Si": (0.0, 2.0)}}, ["q_Si", "allowed range (0, 4] e"]),
    ({"free": "A_SiO", "bounds": {"A_SiO": (-10.0, 2e4)}}, ["A_SiO", "[0, inf) eV"]),
    ({"free": "rho_OO", "bounds": {"rho_OO": (0.0, 0.3)}}, ["rho_OO", "(0, inf) A"]),
    ({"free": "C_OO", "bounds": {"C_OO": (float("nan"), 10.0)}}, ["C_OO", "finite"]),
    ({"free": "q_Si", "bounds": {"q_Si": (1.0, 2.0, 3.0)}}, ["q_Si", "two numbers", "(0, 4] e"]),
    ({"free": "q_Si", "bounds": {"q_Si": 2.0}}, ["q_Si", "two numbers"]),
    ({"free": "q_Si", "bounds": {"q_Si": ("low", 2.0)}}, ["q_Si", "two numbers"]),
    ({"free": "q_Si", "bounds": "q_Si=1.6"}, ["q_Si=1.6", "NAME=LOW:HIGH"]),
    ({"free": "A_SiO,rho_SiO", "bounds": {"E0_SiO": (0.0, 3.0)}, "coords": "contact"}, ["E0_SiO", "0 < low < high"]),
    ({"free": "A_SiO,rho_SiO", "bounds": {"A_SiO": (1e4, 2e4)}, "coords": "contact"}, ["E0_SiO", "A_SiO"]),
    ({"free": "q_Si", "coords": "polar"}, ["coords", "box", "contact"]),
    ({"free": "q_Si", "base": "NOPE"}, ["unknown preset", "NOPE", "BKS"]),
    # base set inconsistent with the free list: a free rho of a pair whose repulsion is off and fixed
    ({"free": "q_Si,rho_SiSi", "base": "BKS"}, ["rho_SiSi", "no effect", "A_SiSi", "fixed at 0"]),
]


@pytest.mark.parametrize("kwargs, words", SPACE_CASES)
def test_bad_search_space_fails_with_named_field(kwargs, words):
    with pytest.raises(ParameterError) as info:
        SearchSpace(**kwargs)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_free_rho_with_its_A_is_fine():
    assert SearchSpace("A_SiSi,rho_SiSi", base="BKS").dim == 2
    assert SearchSpace("rho_SiSi", base="CHIK").dim == 1  # CHIK's Si-Si repulsion is on


def test_base_from_json_path(tmp_path):
    path = ForceField.preset("CHIK").save(tmp_path / "chik.json")
    assert SearchSpace("q_Si", base=str(path)).base == ForceField.preset("CHIK")


FIT_CASES = [
    # (fit kwargs, exception, words)
    ({"budget": 0}, ValueError, ["budget", ">= 1"]),
    ({"budget": -3}, ValueError, ["budget", ">= 1"]),
    ({"budget": 2.5}, ValueError, ["budget", "integer"]),
    ({"budget": "3"}, ValueError, ["budget", "integer"]),
    ({"budget": True}, ValueError, ["budget", "integer"]),
    ({"seed": -1}, ValueError, ["seed", ">= 0"]),
    ({"md_seed": -2}, ValueError, ["md_seed", ">= 0"]),
    ({"n_workers": 0}, ValueError, ["n_workers", ">= 1"]),
    ({"failure_value": "bad"}, ValueError, ["failure_value", "worst"]),
    ({"failure_value": -0.5}, ValueError, ["failure_value", ">= 0"]),
    ({"optimizer": "simplex"}, ValueError, ["unknown optimizer", "simplex", "turbo+cg"]),
    ({"optimizer": "bo", "options": {"n_initail": 3}}, ValueError, ["n_initail", "'bo'", "n_initial"]),
    ({"optimizer": "turbo+cg", "options": {"cg_opts": {}}}, ValueError, ["cg_opts", "cg_options"]),
    # CG starts at the base set: a base outside the bounds would be clipped silently
    ({"optimizer": "cg", "space": SearchSpace("q_Si,A_SiO", {"q_Si": (1.5, 2.0)})}, ParameterError,
     ["base set 'BKS'", "q_Si = 2.4 not in [1.5, 2]", "x0"]),
    ({"optimizer": "cg", "options": {"x0": [0.5, 1.5]}}, ParameterError, ["x0", "unit box"]),
    ({"optimizer": "cg", "options": {"x0": [0.5]}}, ParameterError, ["x0", "2 unit-box coordinates"]),
    ({"optimizer": "cg", "options": {"x0": {"q_Si": 3.0, "A_SiO": 2e4}}}, ParameterError, ["x0", "q_Si = 3"]),
    ({"optimizer": ConjugateGradient(SearchSpace("q_Si,A_SiO", {"q_Si": (1.5, 2.0)}))}, ParameterError,
     ["base set", "q_Si"]),
    ({"space": "q_Si,A_SiO"}, TypeError, ["space", "SearchSpace"]),
]


@pytest.mark.parametrize("kwargs, exc, words", FIT_CASES)
def test_bad_fit_input_fails_before_any_evaluation(tmp_path, kwargs, exc, words):
    args = {"space": SearchSpace("q_Si,A_SiO"), "optimizer": "bo", "budget": 5, **kwargs}
    space, optimizer, budget = args.pop("space"), args.pop("optimizer"), args.pop("budget")
    with pytest.raises(exc) as info:
        fit(NeverCalled(), space, optimizer, budget, store=tmp_path / "store", run_id="bad", **args)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    store = Store(tmp_path / "store")
    assert store.runs() == [] and len(store) == 0  # nothing registered, nothing evaluated


def test_good_inputs_pass_the_checks(tmp_path):
    """The checks do not reject what is valid: a CG start given inside the box with the base outside."""
    space = SearchSpace("q_Si,A_SiO", {"q_Si": (1.5, 2.0)})
    check_start(space, [0.5, 0.5], "cg")
    check_start(space, {"q_Si": 1.9, "A_SiO": 20000.0}, "cg")
    with pytest.raises(AssertionError, match="evaluator called"):  # the checks passed; MD would start now
        fit(NeverCalled(), space, "cg", 3, options={"x0": [0.5, 0.5]})
